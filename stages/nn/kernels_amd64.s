//go:build !purego

#include "textflag.h"

// The AVX2 kernels of kernels_amd64.go. Each computes, lane by lane, the same IEEE operations
// in the same order as its definition in kernels.go (exp and log: as the math package's
// amd64 assembly does), so the results are the same bits.

DATA expLog2e<>+0(SB)/8, $1.4426950408889634073599246810018920
DATA expLog2e<>+8(SB)/8, $1.4426950408889634073599246810018920
DATA expLog2e<>+16(SB)/8, $1.4426950408889634073599246810018920
DATA expLog2e<>+24(SB)/8, $1.4426950408889634073599246810018920
GLOBL expLog2e<>(SB), RODATA|NOPTR, $32

DATA expLn2U<>+0(SB)/8, $0.69314718055966295651160180568695068359375
DATA expLn2U<>+8(SB)/8, $0.69314718055966295651160180568695068359375
DATA expLn2U<>+16(SB)/8, $0.69314718055966295651160180568695068359375
DATA expLn2U<>+24(SB)/8, $0.69314718055966295651160180568695068359375
GLOBL expLn2U<>(SB), RODATA|NOPTR, $32

DATA expLn2L<>+0(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
DATA expLn2L<>+8(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
DATA expLn2L<>+16(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
DATA expLn2L<>+24(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
GLOBL expLn2L<>(SB), RODATA|NOPTR, $32

DATA expSixteenth<>+0(SB)/8, $0.0625
DATA expSixteenth<>+8(SB)/8, $0.0625
DATA expSixteenth<>+16(SB)/8, $0.0625
DATA expSixteenth<>+24(SB)/8, $0.0625
GLOBL expSixteenth<>(SB), RODATA|NOPTR, $32

DATA expC7<>+0(SB)/8, $2.4801587301587301587e-5
DATA expC7<>+8(SB)/8, $2.4801587301587301587e-5
DATA expC7<>+16(SB)/8, $2.4801587301587301587e-5
DATA expC7<>+24(SB)/8, $2.4801587301587301587e-5
GLOBL expC7<>(SB), RODATA|NOPTR, $32

DATA expC6<>+0(SB)/8, $1.9841269841269841270e-4
DATA expC6<>+8(SB)/8, $1.9841269841269841270e-4
DATA expC6<>+16(SB)/8, $1.9841269841269841270e-4
DATA expC6<>+24(SB)/8, $1.9841269841269841270e-4
GLOBL expC6<>(SB), RODATA|NOPTR, $32

DATA expC5<>+0(SB)/8, $1.3888888888888888889e-3
DATA expC5<>+8(SB)/8, $1.3888888888888888889e-3
DATA expC5<>+16(SB)/8, $1.3888888888888888889e-3
DATA expC5<>+24(SB)/8, $1.3888888888888888889e-3
GLOBL expC5<>(SB), RODATA|NOPTR, $32

DATA expC4<>+0(SB)/8, $8.3333333333333333333e-3
DATA expC4<>+8(SB)/8, $8.3333333333333333333e-3
DATA expC4<>+16(SB)/8, $8.3333333333333333333e-3
DATA expC4<>+24(SB)/8, $8.3333333333333333333e-3
GLOBL expC4<>(SB), RODATA|NOPTR, $32

DATA expC3<>+0(SB)/8, $4.1666666666666666667e-2
DATA expC3<>+8(SB)/8, $4.1666666666666666667e-2
DATA expC3<>+16(SB)/8, $4.1666666666666666667e-2
DATA expC3<>+24(SB)/8, $4.1666666666666666667e-2
GLOBL expC3<>(SB), RODATA|NOPTR, $32

DATA expC2<>+0(SB)/8, $1.6666666666666666667e-1
DATA expC2<>+8(SB)/8, $1.6666666666666666667e-1
DATA expC2<>+16(SB)/8, $1.6666666666666666667e-1
DATA expC2<>+24(SB)/8, $1.6666666666666666667e-1
GLOBL expC2<>(SB), RODATA|NOPTR, $32

DATA half<>+0(SB)/8, $0.5
DATA half<>+8(SB)/8, $0.5
DATA half<>+16(SB)/8, $0.5
DATA half<>+24(SB)/8, $0.5
GLOBL half<>(SB), RODATA|NOPTR, $32

DATA one<>+0(SB)/8, $1.0
DATA one<>+8(SB)/8, $1.0
DATA one<>+16(SB)/8, $1.0
DATA one<>+24(SB)/8, $1.0
GLOBL one<>(SB), RODATA|NOPTR, $32

DATA two<>+0(SB)/8, $2.0
DATA two<>+8(SB)/8, $2.0
DATA two<>+16(SB)/8, $2.0
DATA two<>+24(SB)/8, $2.0
GLOBL two<>(SB), RODATA|NOPTR, $32

DATA expLo<>+0(SB)/8, $-708.0
DATA expLo<>+8(SB)/8, $-708.0
DATA expLo<>+16(SB)/8, $-708.0
DATA expLo<>+24(SB)/8, $-708.0
GLOBL expLo<>(SB), RODATA|NOPTR, $32

DATA expHi<>+0(SB)/8, $709.0
DATA expHi<>+8(SB)/8, $709.0
DATA expHi<>+16(SB)/8, $709.0
DATA expHi<>+24(SB)/8, $709.0
GLOBL expHi<>(SB), RODATA|NOPTR, $32

DATA expMagic<>+0(SB)/8, $6755399441055744.0
DATA expMagic<>+8(SB)/8, $6755399441055744.0
DATA expMagic<>+16(SB)/8, $6755399441055744.0
DATA expMagic<>+24(SB)/8, $6755399441055744.0
GLOBL expMagic<>(SB), RODATA|NOPTR, $32

DATA expBias<>+0(SB)/8, $0x3ff
DATA expBias<>+8(SB)/8, $0x3ff
DATA expBias<>+16(SB)/8, $0x3ff
DATA expBias<>+24(SB)/8, $0x3ff
GLOBL expBias<>(SB), RODATA|NOPTR, $32

DATA logMinNormal<>+0(SB)/8, $0x0010000000000000
DATA logMinNormal<>+8(SB)/8, $0x0010000000000000
DATA logMinNormal<>+16(SB)/8, $0x0010000000000000
DATA logMinNormal<>+24(SB)/8, $0x0010000000000000
GLOBL logMinNormal<>(SB), RODATA|NOPTR, $32

DATA logMaxFloat<>+0(SB)/8, $0x7fefffffffffffff
DATA logMaxFloat<>+8(SB)/8, $0x7fefffffffffffff
DATA logMaxFloat<>+16(SB)/8, $0x7fefffffffffffff
DATA logMaxFloat<>+24(SB)/8, $0x7fefffffffffffff
GLOBL logMaxFloat<>(SB), RODATA|NOPTR, $32

DATA logMantMask<>+0(SB)/8, $0x000fffffffffffff
DATA logMantMask<>+8(SB)/8, $0x000fffffffffffff
DATA logMantMask<>+16(SB)/8, $0x000fffffffffffff
DATA logMantMask<>+24(SB)/8, $0x000fffffffffffff
GLOBL logMantMask<>(SB), RODATA|NOPTR, $32

DATA logHalfBits<>+0(SB)/8, $0x3fe0000000000000
DATA logHalfBits<>+8(SB)/8, $0x3fe0000000000000
DATA logHalfBits<>+16(SB)/8, $0x3fe0000000000000
DATA logHalfBits<>+24(SB)/8, $0x3fe0000000000000
GLOBL logHalfBits<>(SB), RODATA|NOPTR, $32

DATA logTwo52Bits<>+0(SB)/8, $0x4330000000000000
DATA logTwo52Bits<>+8(SB)/8, $0x4330000000000000
DATA logTwo52Bits<>+16(SB)/8, $0x4330000000000000
DATA logTwo52Bits<>+24(SB)/8, $0x4330000000000000
GLOBL logTwo52Bits<>(SB), RODATA|NOPTR, $32

DATA logTwo52Plus1022<>+0(SB)/8, $4503599627371518.0
DATA logTwo52Plus1022<>+8(SB)/8, $4503599627371518.0
DATA logTwo52Plus1022<>+16(SB)/8, $4503599627371518.0
DATA logTwo52Plus1022<>+24(SB)/8, $4503599627371518.0
GLOBL logTwo52Plus1022<>(SB), RODATA|NOPTR, $32

DATA logHSqrt2<>+0(SB)/8, $7.07106781186547524401e-01
DATA logHSqrt2<>+8(SB)/8, $7.07106781186547524401e-01
DATA logHSqrt2<>+16(SB)/8, $7.07106781186547524401e-01
DATA logHSqrt2<>+24(SB)/8, $7.07106781186547524401e-01
GLOBL logHSqrt2<>(SB), RODATA|NOPTR, $32

DATA logLn2Hi<>+0(SB)/8, $6.93147180369123816490e-01
DATA logLn2Hi<>+8(SB)/8, $6.93147180369123816490e-01
DATA logLn2Hi<>+16(SB)/8, $6.93147180369123816490e-01
DATA logLn2Hi<>+24(SB)/8, $6.93147180369123816490e-01
GLOBL logLn2Hi<>(SB), RODATA|NOPTR, $32

DATA logLn2Lo<>+0(SB)/8, $1.90821492927058770002e-10
DATA logLn2Lo<>+8(SB)/8, $1.90821492927058770002e-10
DATA logLn2Lo<>+16(SB)/8, $1.90821492927058770002e-10
DATA logLn2Lo<>+24(SB)/8, $1.90821492927058770002e-10
GLOBL logLn2Lo<>(SB), RODATA|NOPTR, $32

DATA logL1<>+0(SB)/8, $6.666666666666735130e-01
DATA logL1<>+8(SB)/8, $6.666666666666735130e-01
DATA logL1<>+16(SB)/8, $6.666666666666735130e-01
DATA logL1<>+24(SB)/8, $6.666666666666735130e-01
GLOBL logL1<>(SB), RODATA|NOPTR, $32

DATA logL2<>+0(SB)/8, $3.999999999940941908e-01
DATA logL2<>+8(SB)/8, $3.999999999940941908e-01
DATA logL2<>+16(SB)/8, $3.999999999940941908e-01
DATA logL2<>+24(SB)/8, $3.999999999940941908e-01
GLOBL logL2<>(SB), RODATA|NOPTR, $32

DATA logL3<>+0(SB)/8, $2.857142874366239149e-01
DATA logL3<>+8(SB)/8, $2.857142874366239149e-01
DATA logL3<>+16(SB)/8, $2.857142874366239149e-01
DATA logL3<>+24(SB)/8, $2.857142874366239149e-01
GLOBL logL3<>(SB), RODATA|NOPTR, $32

DATA logL4<>+0(SB)/8, $2.222219843214978396e-01
DATA logL4<>+8(SB)/8, $2.222219843214978396e-01
DATA logL4<>+16(SB)/8, $2.222219843214978396e-01
DATA logL4<>+24(SB)/8, $2.222219843214978396e-01
GLOBL logL4<>(SB), RODATA|NOPTR, $32

DATA logL5<>+0(SB)/8, $1.818357216161805012e-01
DATA logL5<>+8(SB)/8, $1.818357216161805012e-01
DATA logL5<>+16(SB)/8, $1.818357216161805012e-01
DATA logL5<>+24(SB)/8, $1.818357216161805012e-01
GLOBL logL5<>(SB), RODATA|NOPTR, $32

DATA logL6<>+0(SB)/8, $1.531383769920937332e-01
DATA logL6<>+8(SB)/8, $1.531383769920937332e-01
DATA logL6<>+16(SB)/8, $1.531383769920937332e-01
DATA logL6<>+24(SB)/8, $1.531383769920937332e-01
GLOBL logL6<>(SB), RODATA|NOPTR, $32

DATA logL7<>+0(SB)/8, $1.479819860511658591e-01
DATA logL7<>+8(SB)/8, $1.479819860511658591e-01
DATA logL7<>+16(SB)/8, $1.479819860511658591e-01
DATA logL7<>+24(SB)/8, $1.479819860511658591e-01
GLOBL logL7<>(SB), RODATA|NOPTR, $32

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func expAVX2(dst, src *float64, n int) int
//
// expAVX2 sets dst[i] = exp(src[i]) for i < n (a multiple of 4), four at a time, by the FMA
// path of the math package's archExp, and stops at the first group of four with an input
// outside [-708, 709] (or NaN), where that path's result may be subnormal or infinite. It
// returns the number of elements done.
TEXT ·expAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

exploop:
	CMPQ AX, CX
	JGE  expdone
	VMOVUPD (SI)(AX*8), Y0
	VCMPPD  $0x1d, expLo<>(SB), Y0, Y1  // x >= lo
	VCMPPD  $0x12, expHi<>(SB), Y0, Y2  // x <= hi
	VANDPD  Y1, Y2, Y1
	VMOVMSKPD Y1, DX
	CMPQ    DX, $15
	JNE     expdone

	VMULPD   expLog2e<>(SB), Y0, Y1     // t = x·log2(e)
	VROUNDPD $0, Y1, Y1                 // k = t rounded to nearest, ties to even
	VMOVAPD  Y0, Y2
	VFNMADD231PD expLn2U<>(SB), Y1, Y2  // r = x − k·ln2U, fused
	VFNMADD231PD expLn2L<>(SB), Y1, Y2  // r = r − k·ln2L, fused
	VMULPD   expSixteenth<>(SB), Y2, Y2 // r /= 16
	VMOVUPD  expC7<>(SB), Y3
	VFMADD213PD expC6<>(SB), Y2, Y3     // p = p·r + c, fused
	VFMADD213PD expC5<>(SB), Y2, Y3
	VFMADD213PD expC4<>(SB), Y2, Y3
	VFMADD213PD expC3<>(SB), Y2, Y3
	VFMADD213PD expC2<>(SB), Y2, Y3
	VFMADD213PD half<>(SB), Y2, Y3
	VFMADD213PD one<>(SB), Y2, Y3
	VMULPD   Y3, Y2, Y4                 // y = r·p: e^(r) − 1 for the reduced r
	VADDPD   two<>(SB), Y4, Y5          // four squarings: y = y·(y+2)
	VMULPD   Y5, Y4, Y4
	VADDPD   two<>(SB), Y4, Y5
	VMULPD   Y5, Y4, Y4
	VADDPD   two<>(SB), Y4, Y5
	VMULPD   Y5, Y4, Y4
	VADDPD   two<>(SB), Y4, Y5
	VFMADD213PD one<>(SB), Y5, Y4       // the last one plus 1, fused
	VADDPD   expMagic<>(SB), Y1, Y6     // k in the low bits
	VPADDQ   expBias<>(SB), Y6, Y6
	VPSLLQ   $52, Y6, Y6                // 2^k
	VMULPD   Y6, Y4, Y4
	VMOVUPD  Y4, (DI)(AX*8)
	ADDQ     $4, AX
	JMP      exploop

expdone:
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET

// func logAVX2(dst, src *float64, n int) int
//
// logAVX2 sets dst[i] = log(src[i]) for i < n (a multiple of 4), four at a time, by the
// operations of the math package's archLog, and stops at the first group of four with an
// input that is not a normal positive finite number. It returns the number of elements done.
TEXT ·logAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

logloop:
	CMPQ AX, CX
	JGE  logdone
	VMOVUPD (SI)(AX*8), Y0
	VCMPPD  $0x1d, logMinNormal<>(SB), Y0, Y1
	VCMPPD  $0x12, logMaxFloat<>(SB), Y0, Y2
	VANDPD  Y1, Y2, Y1
	VMOVMSKPD Y1, DX
	CMPQ    DX, $15
	JNE     logdone

	VANDPD  logMantMask<>(SB), Y0, Y2   // f1, x = f1·2^k with f1 in [0.5, 1)
	VORPD   logHalfBits<>(SB), Y2, Y2
	VPSRLQ  $52, Y0, Y1                 // the biased exponent
	VPOR    logTwo52Bits<>(SB), Y1, Y1
	VSUBPD  logTwo52Plus1022<>(SB), Y1, Y1 // k
	VCMPPD  $0x12, logHSqrt2<>(SB), Y2, Y3 // f1 ≤ √2/2 (as archLog compares): k −= 1, f1 *= 2
	VANDPD  one<>(SB), Y3, Y3
	VSUBPD  Y3, Y1, Y1
	VADDPD  one<>(SB), Y3, Y3
	VMULPD  Y3, Y2, Y2
	VSUBPD  one<>(SB), Y2, Y2           // f = f1 − 1
	VADDPD  two<>(SB), Y2, Y4
	VDIVPD  Y4, Y2, Y3                  // s = f/(2+f)
	VMULPD  Y3, Y3, Y4                  // s²
	VMULPD  Y4, Y4, Y5                  // s⁴
	VMULPD  logL7<>(SB), Y5, Y6         // t1 = s²(L1 + s⁴(L3 + s⁴(L5 + s⁴L7)))
	VADDPD  logL5<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  logL3<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  logL1<>(SB), Y6, Y6
	VMULPD  Y6, Y4, Y4
	VMULPD  logL6<>(SB), Y5, Y6         // t2 = s⁴(L2 + s⁴(L4 + s⁴L6))
	VADDPD  logL4<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  logL2<>(SB), Y6, Y6
	VMULPD  Y6, Y5, Y5
	VADDPD  Y5, Y4, Y4                  // R = t1 + t2
	VMULPD  half<>(SB), Y2, Y7          // hfsq = 0.5·f·f
	VMULPD  Y2, Y7, Y7
	VADDPD  Y7, Y4, Y4                  // hfsq + R
	VMULPD  Y4, Y3, Y3                  // s(hfsq + R)
	VMULPD  logLn2Lo<>(SB), Y1, Y4
	VADDPD  Y4, Y3, Y3                  // s(hfsq + R) + k·Ln2Lo
	VSUBPD  Y3, Y7, Y7
	VSUBPD  Y2, Y7, Y7                  // (hfsq − (s(hfsq+R) + k·Ln2Lo)) − f
	VMULPD  logLn2Hi<>(SB), Y1, Y1
	VSUBPD  Y7, Y1, Y1                  // k·Ln2Hi − that
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     logloop

logdone:
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET

DATA tailMask<>+0(SB)/8, $-1
DATA tailMask<>+8(SB)/8, $-1
DATA tailMask<>+16(SB)/8, $-1
DATA tailMask<>+24(SB)/8, $-1
DATA tailMask<>+32(SB)/8, $-1
DATA tailMask<>+40(SB)/8, $0
DATA tailMask<>+48(SB)/8, $0
DATA tailMask<>+56(SB)/8, $0
DATA tailMask<>+64(SB)/8, $-1
DATA tailMask<>+72(SB)/8, $-1
DATA tailMask<>+80(SB)/8, $0
DATA tailMask<>+88(SB)/8, $0
DATA tailMask<>+96(SB)/8, $-1
DATA tailMask<>+104(SB)/8, $-1
DATA tailMask<>+112(SB)/8, $-1
DATA tailMask<>+120(SB)/8, $0
GLOBL tailMask<>(SB), RODATA|NOPTR, $128

// func gemmAVX2(c *float64, ldc, w, rows int, a *float64, aq, ar int, b *float64, ldb, rr int, add bool)
//
// gemmAVX2 is gemmGo for 1 <= w <= 16 columns and rr >= 1: the w columns of each row of c are
// held in up to four registers (the last one masked to the columns left) while the rr products
// are added to them, one multiplication and one addition per product and lane.
TEXT ·gemmAVX2(SB), NOSPLIT, $0-81
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	SHLQ $3, R8
	MOVQ w+16(FP), AX
	MOVQ rows+24(FP), R13
	MOVQ a+32(FP), SI
	MOVQ aq+40(FP), R9
	SHLQ $3, R9
	MOVQ ar+48(FP), R10
	SHLQ $3, R10
	MOVQ b+56(FP), DX
	MOVQ ldb+64(FP), R11
	SHLQ $3, R11
	MOVQ rr+72(FP), R12
	MOVBQZX add+80(FP), BX
	// The mask of the last register: the columns w − 4(⌈w/4⌉ − 1).
	MOVQ AX, CX
	ANDQ $3, CX
	SHLQ $5, CX
	LEAQ tailMask<>(SB), R14
	VMOVUPD (R14)(CX*1), Y15
	// ⌈w/4⌉ registers.
	ADDQ $3, AX
	SHRQ $2, AX
	CMPQ AX, $1
	JEQ  gemm1
	CMPQ AX, $2
	JEQ  gemm2
	CMPQ AX, $3
	JEQ  gemm3
	JMP  gemm4

gemm1:
gemm1row:
	TESTQ BX, BX
	JNZ   gemm1load
	VXORPD Y0, Y0, Y0
	JMP   gemm1start
gemm1load:
	VMASKMOVPD 0(DI), Y15, Y0
gemm1start:
	MOVQ SI, R14
	MOVQ DX, CX
	MOVQ R12, AX
gemm1r:
	VBROADCASTSD (R14), Y8
	VMASKMOVPD 0(CX), Y15, Y9
	VMULPD Y9, Y8, Y9
	VADDPD Y9, Y0, Y0
	ADDQ R10, R14
	ADDQ R11, CX
	DECQ AX
	JNZ  gemm1r
	VMASKMOVPD Y0, Y15, 0(DI)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R13
	JNZ  gemm1row
	VZEROUPPER
	RET

gemm2:
gemm2row:
	TESTQ BX, BX
	JNZ   gemm2load
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	JMP   gemm2start
gemm2load:
	VMOVUPD 0(DI), Y0
	VMASKMOVPD 32(DI), Y15, Y1
gemm2start:
	MOVQ SI, R14
	MOVQ DX, CX
	MOVQ R12, AX
gemm2r:
	VBROADCASTSD (R14), Y8
	VMULPD 0(CX), Y8, Y9
	VADDPD Y9, Y0, Y0
	VMASKMOVPD 32(CX), Y15, Y10
	VMULPD Y10, Y8, Y10
	VADDPD Y10, Y1, Y1
	ADDQ R10, R14
	ADDQ R11, CX
	DECQ AX
	JNZ  gemm2r
	VMOVUPD Y0, 0(DI)
	VMASKMOVPD Y1, Y15, 32(DI)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R13
	JNZ  gemm2row
	VZEROUPPER
	RET

gemm3:
gemm3row:
	TESTQ BX, BX
	JNZ   gemm3load
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	JMP   gemm3start
gemm3load:
	VMOVUPD 0(DI), Y0
	VMOVUPD 32(DI), Y1
	VMASKMOVPD 64(DI), Y15, Y2
gemm3start:
	MOVQ SI, R14
	MOVQ DX, CX
	MOVQ R12, AX
gemm3r:
	VBROADCASTSD (R14), Y8
	VMULPD 0(CX), Y8, Y9
	VADDPD Y9, Y0, Y0
	VMULPD 32(CX), Y8, Y10
	VADDPD Y10, Y1, Y1
	VMASKMOVPD 64(CX), Y15, Y11
	VMULPD Y11, Y8, Y11
	VADDPD Y11, Y2, Y2
	ADDQ R10, R14
	ADDQ R11, CX
	DECQ AX
	JNZ  gemm3r
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMASKMOVPD Y2, Y15, 64(DI)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R13
	JNZ  gemm3row
	VZEROUPPER
	RET

gemm4:
gemm4row:
	TESTQ BX, BX
	JNZ   gemm4load
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	JMP   gemm4start
gemm4load:
	VMOVUPD 0(DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMASKMOVPD 96(DI), Y15, Y3
gemm4start:
	MOVQ SI, R14
	MOVQ DX, CX
	MOVQ R12, AX
gemm4r:
	VBROADCASTSD (R14), Y8
	VMULPD 0(CX), Y8, Y9
	VADDPD Y9, Y0, Y0
	VMULPD 32(CX), Y8, Y10
	VADDPD Y10, Y1, Y1
	VMULPD 64(CX), Y8, Y11
	VADDPD Y11, Y2, Y2
	VMASKMOVPD 96(CX), Y15, Y12
	VMULPD Y12, Y8, Y12
	VADDPD Y12, Y3, Y3
	ADDQ R10, R14
	ADDQ R11, CX
	DECQ AX
	JNZ  gemm4r
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMASKMOVPD Y3, Y15, 96(DI)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R13
	JNZ  gemm4row
	VZEROUPPER
	RET

// func seriesAVX2(acc, hs, x *float64, ldx, rows int, coef *float64, cs, nc, w int)
//
// seriesAVX2 is seriesAccGo for 1 <= w <= 8 columns, rows >= 1 and nc >= 1: the w sums of acc
// and the w values of hs are held in up to two registers (the last one masked) while the
// rows' terms are added, with the same operations per lane as seriesAccGo.
TEXT ·seriesAVX2(SB), NOSPLIT, $0-72
	MOVQ acc+0(FP), DI
	MOVQ hs+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ ldx+24(FP), R9
	SHLQ $3, R9
	MOVQ rows+32(FP), R13
	MOVQ coef+40(FP), DX
	MOVQ cs+48(FP), R10
	SHLQ $3, R10
	MOVQ nc+56(FP), R12
	DECQ R12                          // the Horner steps after the top coefficient
	MOVQ w+64(FP), AX
	MOVQ AX, CX
	ANDQ $3, CX
	SHLQ $5, CX
	LEAQ tailMask<>(SB), R14
	VMOVUPD (R14)(CX*1), Y15
	CMPQ AX, $4
	JGT  series2

series1:
	VMASKMOVPD 0(DI), Y15, Y0
	VMASKMOVPD 0(R8), Y15, Y2
series1row:
	VMASKMOVPD 0(SI), Y15, Y4
	VMULPD Y4, Y2, Y6
	VMULPD Y4, Y6, Y6
	MOVQ R12, AX
	LEAQ (DX)(AX*8), CX
	VBROADCASTSD (CX), Y10
	VMOVAPD Y10, Y8
	TESTQ AX, AX
	JZ   series1done
series1horner:
	SUBQ $8, CX
	VBROADCASTSD (CX), Y10
	VMULPD Y8, Y6, Y8
	VADDPD Y8, Y10, Y8
	DECQ AX
	JNZ  series1horner
series1done:
	VMULPD Y8, Y4, Y8
	VADDPD Y8, Y0, Y0
	ADDQ R9, SI
	ADDQ R10, DX
	DECQ R13
	JNZ  series1row
	VMASKMOVPD Y0, Y15, 0(DI)
	VZEROUPPER
	RET

series2:
	VMOVUPD 0(DI), Y0
	VMOVUPD 0(R8), Y2
	VMASKMOVPD 32(DI), Y15, Y1
	VMASKMOVPD 32(R8), Y15, Y3
series2row:
	VMOVUPD 0(SI), Y4
	VMASKMOVPD 32(SI), Y15, Y5
	VMULPD Y4, Y2, Y6
	VMULPD Y4, Y6, Y6
	VMULPD Y5, Y3, Y7
	VMULPD Y5, Y7, Y7
	MOVQ R12, AX
	LEAQ (DX)(AX*8), CX
	VBROADCASTSD (CX), Y10
	VMOVAPD Y10, Y8
	VMOVAPD Y10, Y9
	TESTQ AX, AX
	JZ   series2done
series2horner:
	SUBQ $8, CX
	VBROADCASTSD (CX), Y10
	VMULPD Y8, Y6, Y8
	VADDPD Y8, Y10, Y8
	VMULPD Y9, Y7, Y9
	VADDPD Y9, Y10, Y9
	DECQ AX
	JNZ  series2horner
series2done:
	VMULPD Y8, Y4, Y8
	VADDPD Y8, Y0, Y0
	VMULPD Y9, Y5, Y9
	VADDPD Y9, Y1, Y1
	ADDQ R9, SI
	ADDQ R10, DX
	DECQ R13
	JNZ  series2row
	VMOVUPD Y0, 0(DI)
	VMASKMOVPD Y1, Y15, 32(DI)
	VZEROUPPER
	RET
