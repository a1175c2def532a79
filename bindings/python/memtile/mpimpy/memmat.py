"""mPimPy's memmat: the bit-sliced integer engine (bitslicedpe) on memtile."""
from ._common import _Dpe


class bitslicedpe(_Dpe):
    """Integer bit slicing: operands quantised to sum(blk)-bit two's-complement integers per
    vector, cut into slices of the given widths (MSB first), one array per weight slice."""

    _var_default = 0.05

    def BitSliceVMM(self, xin, matin, xblk=[1, 1, 2, 4], mblk=[1, 1, 2, 4]):  # noqa: B006 (mPimPy's signature)
        """Software form: quantisation and slicing only (np.dot of the quantised operands)."""
        return self._run(xin, matin, True, mode="bitslice", xblk=list(xblk), mblk=list(mblk))

    def MapReduceDot(self, xin, matin, xblk=[1, 1, 2, 4], mblk=[1, 1, 2, 4], wire_factor=False):  # noqa: B006
        """Hardware form: DACs, crossbars (programming variation), ADCs, shift-add."""
        return self._run(xin, matin, False, wire_factor, mode="bitslice", xblk=list(xblk), mblk=list(mblk),
                         round_slice_products=True)
