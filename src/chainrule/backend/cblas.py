"""BLAS routines called from compiled code: ``cblas_gemm``, for the Numba kernels that multiply
inside their own loops (ops/kernels/compiled.py: the conv's pieces), and ``cblas_omatcopy``, the
blocked transposition (a network's input made batch-innermost, row by row on the team's threads).
Imports Numba; imported on the first compiled call only.

Each calls the routine at an address given at run time (NumPy's OpenBLAS, 64-bit integers,
``openblas.gemm_address`` / ``openblas.omatcopy_address``), row-major. The address is an argument,
not a global, so the kernels that call it are cached on disk like the others (Numba will not cache
code that holds a ctypes function).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


@intrinsic
def cblas_gemm(typingctx, addr, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """C = alpha op(A) op(B) + beta C: cblas_?gemm(RowMajor, ta, tb, m, n, k, ...) at ``addr``.

    a, b, c and addr are addresses (integers); alpha and beta are float32 (sgemm) or float64 (dgemm).
    """
    sig = types.void(addr, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

    def codegen(context, builder, signature, args):
        i32, i64, ptr = ir.IntType(32), ir.IntType(64), ir.IntType(8).as_pointer()
        real = ir.FloatType() if signature.args[6] == types.float32 else ir.DoubleType()
        fnty = ir.FunctionType(ir.VoidType(), [i32, i32, i32, i64, i64, i64, real, ptr, i64, ptr, i64, real, ptr, i64])
        _, ta_, tb_, m_, n_, k_, alpha_, a_, lda_, b_, ldb_, beta_, c_, ldc_ = args

        def int32(v):
            return builder.trunc(v, i32) if v.type.width > 32 else v

        def int64(v):
            return builder.sext(v, i64) if v.type.width < 64 else v

        def address(v):
            return builder.inttoptr(v, ptr)

        arguments = [ir.Constant(i32, ROW_MAJOR), int32(ta_), int32(tb_), int64(m_), int64(n_), int64(k_), alpha_]
        arguments += [address(a_), int64(lda_), address(b_), int64(ldb_), beta_, address(c_), int64(ldc_)]
        builder.call(builder.inttoptr(args[0], fnty.as_pointer()), arguments)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def cblas_omatcopy(typingctx, addr, trans, rows, cols, alpha, a, lda, b, ldb):
    """B = alpha op(A): cblas_?omatcopy(RowMajor, trans, rows, cols, alpha, a, lda, b, ldb) at ``addr``
    (A is rows x cols; a, b and addr are addresses; alpha float32 or float64 as the arrays)."""
    sig = types.void(addr, trans, rows, cols, alpha, a, lda, b, ldb)

    def codegen(context, builder, signature, args):
        i32, i64, ptr = ir.IntType(32), ir.IntType(64), ir.IntType(8).as_pointer()
        real = ir.FloatType() if signature.args[4] == types.float32 else ir.DoubleType()
        fnty = ir.FunctionType(ir.VoidType(), [i32, i32, i64, i64, real, ptr, i64, ptr, i64])
        _, trans_, rows_, cols_, alpha_, a_, lda_, b_, ldb_ = args

        def int64(v):
            return builder.sext(v, i64) if v.type.width < 64 else v

        t32 = builder.trunc(trans_, i32) if trans_.type.width > 32 else trans_
        arguments = [ir.Constant(i32, ROW_MAJOR), t32, int64(rows_), int64(cols_), alpha_]
        arguments += [builder.inttoptr(a_, ptr), int64(lda_), builder.inttoptr(b_, ptr), int64(ldb_)]
        builder.call(builder.inttoptr(args[0], fnty.as_pointer()), arguments)
        return context.get_dummy_value()

    return sig, codegen
