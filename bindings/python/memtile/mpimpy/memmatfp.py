"""mPimPy's memmatfp: the block floating-point engine (fpmemdpe) on memtile."""
from ._common import _Dpe

_FP_BLK = [1, 2, 2, 2, 4, 4, 4, 4]


class fpmemdpe(_Dpe):
    """Per-vector block exponent (bw_e bits), aligned mantissas sliced [1, 1] + blk."""

    _var_default = 0.1

    def fpvmm(self, xin, matin, xblk=_FP_BLK, mblk=_FP_BLK, bw_e=8):
        """Software form: pre-alignment and slicing only."""
        return self._run(xin, matin, True, mode="fp", xblk=list(xblk), mblk=list(mblk), bw_e=bw_e)

    def MapReduceDot(self, xin, matin, xblk=[1] * 23, mblk=[1] * 23, bw_e=8, wire_factor=False):  # noqa: B006
        """Hardware form."""
        return self._run(xin, matin, False, wire_factor, mode="fp", xblk=list(xblk), mblk=list(mblk), bw_e=bw_e,
                         round_slice_products=True)
