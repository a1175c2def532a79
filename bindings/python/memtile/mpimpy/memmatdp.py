"""mPimPy's memmatdp: the differential-pair engine (diffpairdpe) on memtile."""
from ._common import _Dpe


class diffpairdpe(_Dpe):
    """Weights to +-(g_level-1) levels on G+/G- arrays, inputs to +-(rdac-1) signed voltages."""

    _var_default = 0.02

    def MapReduceDot(self, xin, matin, wire_factor=False):
        """Hardware form (mPimPy's diff-pair engine does not round the converted products)."""
        return self._run(xin, matin, False, wire_factor, mode="diffpair")
