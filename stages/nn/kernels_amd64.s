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

// EXP_Y0 sets Y4 to exp of the four inputs in Y0, all within [-708, 709], by the FMA path
// of the math package's archExp (the steps are commented in expAVX2 below); it uses Y1 to
// Y6 and leaves Y0 as it was.
#define EXP_Y0 \
	VMULPD   expLog2e<>(SB), Y0, Y1; \
	VROUNDPD $0, Y1, Y1; \
	VMOVAPD  Y0, Y2; \
	VFNMADD231PD expLn2U<>(SB), Y1, Y2; \
	VFNMADD231PD expLn2L<>(SB), Y1, Y2; \
	VMULPD   expSixteenth<>(SB), Y2, Y2; \
	VMOVUPD  expC7<>(SB), Y3; \
	VFMADD213PD expC6<>(SB), Y2, Y3; \
	VFMADD213PD expC5<>(SB), Y2, Y3; \
	VFMADD213PD expC4<>(SB), Y2, Y3; \
	VFMADD213PD expC3<>(SB), Y2, Y3; \
	VFMADD213PD expC2<>(SB), Y2, Y3; \
	VFMADD213PD half<>(SB), Y2, Y3; \
	VFMADD213PD one<>(SB), Y2, Y3; \
	VMULPD   Y3, Y2, Y4; \
	VADDPD   two<>(SB), Y4, Y5; \
	VMULPD   Y5, Y4, Y4; \
	VADDPD   two<>(SB), Y4, Y5; \
	VMULPD   Y5, Y4, Y4; \
	VADDPD   two<>(SB), Y4, Y5; \
	VMULPD   Y5, Y4, Y4; \
	VADDPD   two<>(SB), Y4, Y5; \
	VFMADD213PD one<>(SB), Y5, Y4; \
	VADDPD   expMagic<>(SB), Y1, Y6; \
	VPADDQ   expBias<>(SB), Y6, Y6; \
	VPSLLQ   $52, Y6, Y6; \
	VMULPD   Y6, Y4, Y4

// EXP_IN_RANGE sets DX to 15 when all four inputs in Y0 are within [-708, 709]; it uses Y1
// and Y2.
#define EXP_IN_RANGE \
	VCMPPD  $0x1d, expLo<>(SB), Y0, Y1; \
	VCMPPD  $0x12, expHi<>(SB), Y0, Y2; \
	VANDPD  Y1, Y2, Y1; \
	VMOVMSKPD Y1, DX

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

// func seriesAVX2(acc, hs, x *float64, ldx, rows int, coef *float64, qs int, nc *int32, w int)
//
// seriesAVX2 is seriesAccGo for 1 <= w <= 16 columns and rows >= 1: the w sums of acc are held
// in up to four registers (the last one masked) while the rows' terms are added, with the
// same operations per lane as seriesAccGo.
TEXT ·seriesAVX2(SB), NOSPLIT, $0-72
	MOVQ acc+0(FP), DI
	MOVQ hs+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ ldx+24(FP), R9
	SHLQ $3, R9
	MOVQ rows+32(FP), R13
	MOVQ coef+40(FP), DX
	MOVQ qs+48(FP), R10
	SHLQ $3, R10
	MOVQ nc+56(FP), R11
	MOVQ w+64(FP), AX
	MOVQ AX, CX
	ANDQ $3, CX
	SHLQ $5, CX
	LEAQ tailMask<>(SB), R14
	VMOVUPD (R14)(CX*1), Y15
	ADDQ $3, AX
	SHRQ $2, AX
	CMPQ AX, $1
	JEQ  series1
	CMPQ AX, $2
	JEQ  series2
	CMPQ AX, $3
	JEQ  series3
	JMP  series4

series1:
	VMASKMOVPD 0(DI), Y15, Y0
series1row:
	MOVLQSX (R11), AX                // the row's coefficients
	TESTQ AX, AX
	JZ   series1next
	VMASKMOVPD 0(SI), Y15, Y13
	VMASKMOVPD 0(R8), Y15, Y4
	VMULPD Y13, Y4, Y4
	VMULPD Y13, Y4, Y4
	DECQ AX
	MOVQ AX, CX
	IMULQ R10, CX
	ADDQ DX, CX                      // the last coefficient
	VBROADCASTSD (CX), Y12
	VMOVAPD Y12, Y8
	TESTQ AX, AX
	JZ   series1sum
series1horner:
	SUBQ R10, CX
	VBROADCASTSD (CX), Y12
	VMULPD Y8, Y4, Y8
	VADDPD Y8, Y12, Y8
	DECQ AX
	JNZ  series1horner
series1sum:
	VMULPD Y13, Y8, Y8
	VADDPD Y8, Y0, Y0
series1next:
	ADDQ R9, SI
	ADDQ $8, DX
	ADDQ $4, R11
	DECQ R13
	JNZ  series1row
	VMASKMOVPD Y0, Y15, 0(DI)
	VZEROUPPER
	RET

series2:
	VMOVUPD 0(DI), Y0
	VMASKMOVPD 32(DI), Y15, Y1
series2row:
	MOVLQSX (R11), AX                // the row's coefficients
	TESTQ AX, AX
	JZ   series2next
	VMOVUPD 0(SI), Y4
	VMULPD 0(R8), Y4, Y4
	VMULPD 0(SI), Y4, Y4
	VMASKMOVPD 32(SI), Y15, Y13
	VMASKMOVPD 32(R8), Y15, Y5
	VMULPD Y13, Y5, Y5
	VMULPD Y13, Y5, Y5
	DECQ AX
	MOVQ AX, CX
	IMULQ R10, CX
	ADDQ DX, CX                      // the last coefficient
	VBROADCASTSD (CX), Y12
	VMOVAPD Y12, Y8
	VMOVAPD Y12, Y9
	TESTQ AX, AX
	JZ   series2sum
series2horner:
	SUBQ R10, CX
	VBROADCASTSD (CX), Y12
	VMULPD Y8, Y4, Y8
	VADDPD Y8, Y12, Y8
	VMULPD Y9, Y5, Y9
	VADDPD Y9, Y12, Y9
	DECQ AX
	JNZ  series2horner
series2sum:
	VMULPD 0(SI), Y8, Y8
	VADDPD Y8, Y0, Y0
	VMULPD Y13, Y9, Y9
	VADDPD Y9, Y1, Y1
series2next:
	ADDQ R9, SI
	ADDQ $8, DX
	ADDQ $4, R11
	DECQ R13
	JNZ  series2row
	VMOVUPD Y0, 0(DI)
	VMASKMOVPD Y1, Y15, 32(DI)
	VZEROUPPER
	RET

series3:
	VMOVUPD 0(DI), Y0
	VMOVUPD 32(DI), Y1
	VMASKMOVPD 64(DI), Y15, Y2
series3row:
	MOVLQSX (R11), AX                // the row's coefficients
	TESTQ AX, AX
	JZ   series3next
	VMOVUPD 0(SI), Y4
	VMULPD 0(R8), Y4, Y4
	VMULPD 0(SI), Y4, Y4
	VMOVUPD 32(SI), Y5
	VMULPD 32(R8), Y5, Y5
	VMULPD 32(SI), Y5, Y5
	VMASKMOVPD 64(SI), Y15, Y13
	VMASKMOVPD 64(R8), Y15, Y6
	VMULPD Y13, Y6, Y6
	VMULPD Y13, Y6, Y6
	DECQ AX
	MOVQ AX, CX
	IMULQ R10, CX
	ADDQ DX, CX                      // the last coefficient
	VBROADCASTSD (CX), Y12
	VMOVAPD Y12, Y8
	VMOVAPD Y12, Y9
	VMOVAPD Y12, Y10
	TESTQ AX, AX
	JZ   series3sum
series3horner:
	SUBQ R10, CX
	VBROADCASTSD (CX), Y12
	VMULPD Y8, Y4, Y8
	VADDPD Y8, Y12, Y8
	VMULPD Y9, Y5, Y9
	VADDPD Y9, Y12, Y9
	VMULPD Y10, Y6, Y10
	VADDPD Y10, Y12, Y10
	DECQ AX
	JNZ  series3horner
series3sum:
	VMULPD 0(SI), Y8, Y8
	VADDPD Y8, Y0, Y0
	VMULPD 32(SI), Y9, Y9
	VADDPD Y9, Y1, Y1
	VMULPD Y13, Y10, Y10
	VADDPD Y10, Y2, Y2
series3next:
	ADDQ R9, SI
	ADDQ $8, DX
	ADDQ $4, R11
	DECQ R13
	JNZ  series3row
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMASKMOVPD Y2, Y15, 64(DI)
	VZEROUPPER
	RET

series4:
	VMOVUPD 0(DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMASKMOVPD 96(DI), Y15, Y3
series4row:
	MOVLQSX (R11), AX                // the row's coefficients
	TESTQ AX, AX
	JZ   series4next
	VMOVUPD 0(SI), Y4
	VMULPD 0(R8), Y4, Y4
	VMULPD 0(SI), Y4, Y4
	VMOVUPD 32(SI), Y5
	VMULPD 32(R8), Y5, Y5
	VMULPD 32(SI), Y5, Y5
	VMOVUPD 64(SI), Y6
	VMULPD 64(R8), Y6, Y6
	VMULPD 64(SI), Y6, Y6
	VMASKMOVPD 96(SI), Y15, Y13
	VMASKMOVPD 96(R8), Y15, Y7
	VMULPD Y13, Y7, Y7
	VMULPD Y13, Y7, Y7
	DECQ AX
	MOVQ AX, CX
	IMULQ R10, CX
	ADDQ DX, CX                      // the last coefficient
	VBROADCASTSD (CX), Y12
	VMOVAPD Y12, Y8
	VMOVAPD Y12, Y9
	VMOVAPD Y12, Y10
	VMOVAPD Y12, Y11
	TESTQ AX, AX
	JZ   series4sum
series4horner:
	SUBQ R10, CX
	VBROADCASTSD (CX), Y12
	VMULPD Y8, Y4, Y8
	VADDPD Y8, Y12, Y8
	VMULPD Y9, Y5, Y9
	VADDPD Y9, Y12, Y9
	VMULPD Y10, Y6, Y10
	VADDPD Y10, Y12, Y10
	VMULPD Y11, Y7, Y11
	VADDPD Y11, Y12, Y11
	DECQ AX
	JNZ  series4horner
series4sum:
	VMULPD 0(SI), Y8, Y8
	VADDPD Y8, Y0, Y0
	VMULPD 32(SI), Y9, Y9
	VADDPD Y9, Y1, Y1
	VMULPD 64(SI), Y10, Y10
	VADDPD Y10, Y2, Y2
	VMULPD Y13, Y11, Y11
	VADDPD Y11, Y3, Y3
series4next:
	ADDQ R9, SI
	ADDQ $8, DX
	ADDQ $4, R11
	DECQ R13
	JNZ  series4row
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMASKMOVPD Y3, Y15, 96(DI)
	VZEROUPPER
	RET

DATA three<>+0(SB)/8, $3.0
DATA three<>+8(SB)/8, $3.0
DATA three<>+16(SB)/8, $3.0
DATA three<>+24(SB)/8, $3.0
GLOBL three<>(SB), RODATA|NOPTR, $32

DATA four<>+0(SB)/8, $4.0
DATA four<>+8(SB)/8, $4.0
DATA four<>+16(SB)/8, $4.0
DATA four<>+24(SB)/8, $4.0
GLOBL four<>(SB), RODATA|NOPTR, $32

DATA six<>+0(SB)/8, $6.0
DATA six<>+8(SB)/8, $6.0
DATA six<>+16(SB)/8, $6.0
DATA six<>+24(SB)/8, $6.0
GLOBL six<>(SB), RODATA|NOPTR, $32

DATA ten<>+0(SB)/8, $10.0
DATA ten<>+8(SB)/8, $10.0
DATA ten<>+16(SB)/8, $10.0
DATA ten<>+24(SB)/8, $10.0
GLOBL ten<>(SB), RODATA|NOPTR, $32

DATA twelve<>+0(SB)/8, $12.0
DATA twelve<>+8(SB)/8, $12.0
DATA twelve<>+16(SB)/8, $12.0
DATA twelve<>+24(SB)/8, $12.0
GLOBL twelve<>(SB), RODATA|NOPTR, $32

DATA c24<>+0(SB)/8, $24.0
DATA c24<>+8(SB)/8, $24.0
DATA c24<>+16(SB)/8, $24.0
DATA c24<>+24(SB)/8, $24.0
GLOBL c24<>(SB), RODATA|NOPTR, $32

DATA thirty<>+0(SB)/8, $30.0
DATA thirty<>+8(SB)/8, $30.0
DATA thirty<>+16(SB)/8, $30.0
DATA thirty<>+24(SB)/8, $30.0
GLOBL thirty<>(SB), RODATA|NOPTR, $32

DATA c120<>+0(SB)/8, $120.0
DATA c120<>+8(SB)/8, $120.0
DATA c120<>+16(SB)/8, $120.0
DATA c120<>+24(SB)/8, $120.0
GLOBL c120<>(SB), RODATA|NOPTR, $32

// func hs5AVX2(f *float64, fs int, z, ez, vt, y *float64, ys int, vj *float64, k, n int)
//
// hs5AVX2 is hiddenSeries5RowsGo for n a multiple of 4 and k >= 1, four rows at a time, with
// the operations of hiddenSeries5 in its order.
TEXT ·hs5AVX2(SB), NOSPLIT, $0-80
	MOVQ f+0(FP), DI
	MOVQ fs+8(FP), R8
	SHLQ $3, R8
	MOVQ z+16(FP), R9
	MOVQ ez+24(FP), R10
	MOVQ vt+32(FP), R11
	MOVQ y+40(FP), SI
	MOVQ ys+48(FP), R12
	SHLQ $3, R12
	MOVQ vj+56(FP), DX
	MOVQ k+64(FP), R13
	MOVQ n+72(FP), CX
	XORQ AX, AX                        // the group's first row

hs5group:
	CMPQ AX, CX
	JGE  hs5done
	VMOVUPD (R9)(AX*8), Y0             // z
	VMOVUPD (R10)(AX*8), Y1            // 1 − z
	VMULPD  Y1, Y0, Y2                 // sg = z(1 − z)
	VSUBPD  Y0, Y1, Y3                 // g = (1 − z) − z

	// μ = Σ_k y_k v_k
	VXORPD  Y4, Y4, Y4
	LEAQ    (SI)(AX*8), R14
	XORQ    BX, BX
hs5mu:
	VBROADCASTSD (DX)(BX*8), Y5
	VMULPD  (R14), Y5, Y6              // y_k v_k
	VADDPD  Y6, Y4, Y4
	ADDQ    R12, R14
	INCQ    BX
	CMPQ    BX, R13
	JLT     hs5mu

	// The central moments m2 … m5 of v under y.
	VXORPD  Y7, Y7, Y7
	VXORPD  Y8, Y8, Y8
	VXORPD  Y9, Y9, Y9
	VXORPD  Y10, Y10, Y10
	LEAQ    (SI)(AX*8), R14
	XORQ    BX, BX
hs5mom:
	VBROADCASTSD (DX)(BX*8), Y5
	VSUBPD  Y4, Y5, Y5                 // c = v_k − μ
	VMULPD  Y5, Y5, Y11                // c²
	VMULPD  Y5, Y11, Y12               // c³ = c²·c
	VMOVUPD (R14), Y6                  // y_k
	VMULPD  Y11, Y6, Y13               // y_k c²
	VADDPD  Y13, Y7, Y7                // m2
	VMULPD  Y12, Y6, Y14               // y_k c³
	VADDPD  Y14, Y8, Y8                // m3
	VMULPD  Y11, Y13, Y14              // (y_k c²) c²
	VADDPD  Y14, Y9, Y9                // m4
	VMULPD  Y12, Y13, Y14              // (y_k c²) c³
	VADDPD  Y14, Y10, Y10              // m5
	ADDQ    R12, R14
	INCQ    BX
	CMPQ    BX, R13
	JLT     hs5mom

	// The cumulants l1 … l5.
	VSUBPD  (R11)(AX*8), Y4, Y4        // l1 = μ − v_t
	VMULPD  half<>(SB), Y7, Y11        // l2 = m2/2
	VDIVPD  six<>(SB), Y8, Y12         // l3 = m3/6
	VMULPD  three<>(SB), Y7, Y13       // l4 = (m4 − (3 m2) m2)/24
	VMULPD  Y7, Y13, Y13
	VSUBPD  Y13, Y9, Y13
	VDIVPD  c24<>(SB), Y13, Y13
	VMULPD  ten<>(SB), Y8, Y14         // l5 = (m5 − (10 m3) m2)/120
	VMULPD  Y7, Y14, Y14
	VSUBPD  Y14, Y10, Y14
	VDIVPD  c120<>(SB), Y14, Y14

	// The sigmoid's coefficients d1 = sg … d5.
	VMULPD  Y3, Y2, Y5                 // sg·g
	VMULPD  half<>(SB), Y5, Y0         // d2 = (sg g)/2
	VMULPD  six<>(SB), Y2, Y1          // d3 = (sg (1 − 6 sg))/6
	VMOVUPD one<>(SB), Y6
	VSUBPD  Y1, Y6, Y1
	VMULPD  Y1, Y2, Y1
	VDIVPD  six<>(SB), Y1, Y1
	VMULPD  twelve<>(SB), Y2, Y6       // d4 = ((sg g)(1 − 12 sg))/24
	VMOVUPD one<>(SB), Y7
	VSUBPD  Y6, Y7, Y6
	VMULPD  Y6, Y5, Y6
	VDIVPD  c24<>(SB), Y6, Y6
	VMULPD  thirty<>(SB), Y2, Y5       // d5 = (sg ((1 − 30 sg) + (120 sg) sg))/120
	VMOVUPD one<>(SB), Y7
	VSUBPD  Y5, Y7, Y5
	VMULPD  c120<>(SB), Y2, Y3
	VMULPD  Y2, Y3, Y3
	VADDPD  Y3, Y5, Y5
	VMULPD  Y5, Y2, Y5
	VDIVPD  c120<>(SB), Y5, Y5
	VMULPD  Y2, Y2, Y7                 // d1² 
	VMULPD  Y2, Y7, Y8                 // d1³

	// F1 = l1 d1
	VMULPD  Y2, Y4, Y9
	VMOVUPD Y9, (DI)(AX*8)
	// F3 = (l1 d3 + ((2 l2) d1) d2) + l3 d1³
	VMULPD  Y1, Y4, Y9
	VMULPD  two<>(SB), Y11, Y10
	VMULPD  Y2, Y10, Y10
	VMULPD  Y0, Y10, Y10
	VADDPD  Y10, Y9, Y9
	VMULPD  Y8, Y12, Y10
	VADDPD  Y10, Y9, Y9
	LEAQ    (DI)(R8*1), R14
	VMOVUPD Y9, (R14)(AX*8)
	// F5 = (((l1 d5 + (2 l2)(d1 d4 + d2 d3)) + (3 l3)(d1² d3 + (d1 d2) d2)) + ((4 l4) d1³) d2)
	//      + (l5 d1³) d1²
	VMULPD  Y5, Y4, Y9
	VMULPD  Y6, Y2, Y10
	VMULPD  Y1, Y0, Y3
	VADDPD  Y3, Y10, Y10
	VMULPD  two<>(SB), Y11, Y3
	VMULPD  Y10, Y3, Y10
	VADDPD  Y10, Y9, Y9
	VMULPD  Y1, Y7, Y10
	VMULPD  Y0, Y2, Y3
	VMULPD  Y0, Y3, Y3
	VADDPD  Y3, Y10, Y10
	VMULPD  three<>(SB), Y12, Y3
	VMULPD  Y10, Y3, Y10
	VADDPD  Y10, Y9, Y9
	VMULPD  four<>(SB), Y13, Y10
	VMULPD  Y8, Y10, Y10
	VMULPD  Y0, Y10, Y10
	VADDPD  Y10, Y9, Y9
	VMULPD  Y8, Y14, Y10
	VMULPD  Y7, Y10, Y10
	VADDPD  Y10, Y9, Y9
	LEAQ    (R14)(R8*1), R14
	VMOVUPD Y9, (R14)(AX*8)

	ADDQ $4, AX
	JMP  hs5group

hs5done:
	VZEROUPPER
	RET

DATA five<>+0(SB)/8, $5.0
DATA five<>+8(SB)/8, $5.0
DATA five<>+16(SB)/8, $5.0
DATA five<>+24(SB)/8, $5.0
GLOBL five<>(SB), RODATA|NOPTR, $32

DATA fifteen<>+0(SB)/8, $15.0
DATA fifteen<>+8(SB)/8, $15.0
DATA fifteen<>+16(SB)/8, $15.0
DATA fifteen<>+24(SB)/8, $15.0
GLOBL fifteen<>(SB), RODATA|NOPTR, $32

DATA c21<>+0(SB)/8, $21.0
DATA c21<>+8(SB)/8, $21.0
DATA c21<>+16(SB)/8, $21.0
DATA c21<>+24(SB)/8, $21.0
GLOBL c21<>(SB), RODATA|NOPTR, $32

DATA c35<>+0(SB)/8, $35.0
DATA c35<>+8(SB)/8, $35.0
DATA c35<>+16(SB)/8, $35.0
DATA c35<>+24(SB)/8, $35.0
GLOBL c35<>(SB), RODATA|NOPTR, $32

DATA sixty<>+0(SB)/8, $60.0
DATA sixty<>+8(SB)/8, $60.0
DATA sixty<>+16(SB)/8, $60.0
DATA sixty<>+24(SB)/8, $60.0
GLOBL sixty<>(SB), RODATA|NOPTR, $32

DATA c126<>+0(SB)/8, $126.0
DATA c126<>+8(SB)/8, $126.0
DATA c126<>+16(SB)/8, $126.0
DATA c126<>+24(SB)/8, $126.0
GLOBL c126<>(SB), RODATA|NOPTR, $32

DATA c210<>+0(SB)/8, $210.0
DATA c210<>+8(SB)/8, $210.0
DATA c210<>+16(SB)/8, $210.0
DATA c210<>+24(SB)/8, $210.0
GLOBL c210<>(SB), RODATA|NOPTR, $32

DATA c360<>+0(SB)/8, $360.0
DATA c360<>+8(SB)/8, $360.0
DATA c360<>+16(SB)/8, $360.0
DATA c360<>+24(SB)/8, $360.0
GLOBL c360<>(SB), RODATA|NOPTR, $32

DATA c720<>+0(SB)/8, $720.0
DATA c720<>+8(SB)/8, $720.0
DATA c720<>+16(SB)/8, $720.0
DATA c720<>+24(SB)/8, $720.0
GLOBL c720<>(SB), RODATA|NOPTR, $32

DATA c1680<>+0(SB)/8, $1680.0
DATA c1680<>+8(SB)/8, $1680.0
DATA c1680<>+16(SB)/8, $1680.0
DATA c1680<>+24(SB)/8, $1680.0
GLOBL c1680<>(SB), RODATA|NOPTR, $32

DATA c5040<>+0(SB)/8, $5040.0
DATA c5040<>+8(SB)/8, $5040.0
DATA c5040<>+16(SB)/8, $5040.0
DATA c5040<>+24(SB)/8, $5040.0
GLOBL c5040<>(SB), RODATA|NOPTR, $32

// func hs7AVX2(f *float64, fs int, z, ez, vt, y *float64, ys int, vj *float64, k, n int)
//
// hs7AVX2 is hiddenSeries7RowsGo for n a multiple of 4 and k >= 1, four rows at a time, with
// the operations of hiddenSeries7 in its order. The sigmoid's coefficients d1 … d7 and the
// cumulants l1 … l7 of a group are kept in the frame.
TEXT ·hs7AVX2(SB), 0, $512-80
	MOVQ f+0(FP), DI
	MOVQ fs+8(FP), R8
	SHLQ $3, R8
	MOVQ z+16(FP), R9
	MOVQ ez+24(FP), R10
	MOVQ vt+32(FP), R11
	MOVQ y+40(FP), SI
	MOVQ ys+48(FP), R12
	SHLQ $3, R12
	MOVQ vj+56(FP), DX
	MOVQ k+64(FP), R13
	MOVQ n+72(FP), CX
	VMOVUPD one<>(SB), Y15
	XORQ AX, AX

hs7group:
	CMPQ AX, CX
	JGE  hs7done
	VMOVUPD (R9)(AX*8), Y0             // z
	VMOVUPD (R10)(AX*8), Y1            // 1 − z
	VMULPD  Y1, Y0, Y2                 // sg
	VSUBPD  Y0, Y1, Y3                 // g
	VMULPD  Y2, Y2, Y4                 // s2 = sg²
	VMOVUPD Y2, 0(SP)
	VMULPD  Y3, Y2, Y5                 // sg g
	VMULPD  half<>(SB), Y5, Y6         // d2 = (sg g)/2
	VMOVUPD Y6, 32(SP)
	VMULPD  six<>(SB), Y2, Y6          // d3 = (sg (1 − 6 sg))/6
	VSUBPD  Y6, Y15, Y6
	VMULPD  Y6, Y2, Y6
	VDIVPD  six<>(SB), Y6, Y6
	VMOVUPD Y6, 64(SP)
	VMULPD  twelve<>(SB), Y2, Y6       // d4 = ((sg g)(1 − 12 sg))/24
	VSUBPD  Y6, Y15, Y6
	VMULPD  Y6, Y5, Y6
	VDIVPD  c24<>(SB), Y6, Y6
	VMOVUPD Y6, 96(SP)
	VMULPD  thirty<>(SB), Y2, Y6       // d5 = (sg ((1 − 30 sg) + 120 s2))/120
	VSUBPD  Y6, Y15, Y6
	VMULPD  c120<>(SB), Y4, Y7
	VADDPD  Y7, Y6, Y6
	VMULPD  Y6, Y2, Y6
	VDIVPD  c120<>(SB), Y6, Y6
	VMOVUPD Y6, 128(SP)
	VMULPD  sixty<>(SB), Y2, Y6        // d6 = ((sg g)((1 − 60 sg) + 360 s2))/720
	VSUBPD  Y6, Y15, Y6
	VMULPD  c360<>(SB), Y4, Y7
	VADDPD  Y7, Y6, Y6
	VMULPD  Y6, Y5, Y6
	VDIVPD  c720<>(SB), Y6, Y6
	VMOVUPD Y6, 160(SP)
	VMULPD  c126<>(SB), Y2, Y6         // d7 = (sg (((1 − 126 sg) + 1680 s2) − (5040 s2) sg))/5040
	VSUBPD  Y6, Y15, Y6
	VMULPD  c1680<>(SB), Y4, Y7
	VADDPD  Y7, Y6, Y6
	VMULPD  c5040<>(SB), Y4, Y7
	VMULPD  Y2, Y7, Y7
	VSUBPD  Y7, Y6, Y6
	VMULPD  Y6, Y2, Y6
	VDIVPD  c5040<>(SB), Y6, Y6
	VMOVUPD Y6, 192(SP)
	VMOVUPD Y4, 224(SP)             // d1² = s2
	VMULPD  Y2, Y4, Y8                 // d1³
	VMOVUPD Y8, 256(SP)

	// μ = Σ_k y_k v_k
	VXORPD  Y0, Y0, Y0
	LEAQ    (SI)(AX*8), R14
	XORQ    BX, BX
hs7mu:
	VBROADCASTSD (DX)(BX*8), Y5
	VMULPD  (R14), Y5, Y6
	VADDPD  Y6, Y0, Y0
	ADDQ    R12, R14
	INCQ    BX
	CMPQ    BX, R13
	JLT     hs7mu

	// The central moments m2 … m7 in Y9 … Y14.
	VXORPD  Y9, Y9, Y9
	VXORPD  Y10, Y10, Y10
	VXORPD  Y11, Y11, Y11
	VXORPD  Y12, Y12, Y12
	VXORPD  Y13, Y13, Y13
	VXORPD  Y14, Y14, Y14
	LEAQ    (SI)(AX*8), R14
	XORQ    BX, BX
hs7mom:
	VBROADCASTSD (DX)(BX*8), Y5
	VSUBPD  Y0, Y5, Y5                 // c
	VMULPD  Y5, Y5, Y6                 // c²
	VMULPD  Y5, Y6, Y7                 // c³
	VMULPD  Y6, Y6, Y8                 // c⁴
	VMOVUPD (R14), Y1                  // y_k
	VMULPD  Y6, Y1, Y2
	VADDPD  Y2, Y9, Y9                 // m2 += y c²
	VMULPD  Y7, Y1, Y2
	VADDPD  Y2, Y10, Y10               // m3 += y c³
	VMULPD  Y8, Y1, Y3                 // y c⁴
	VADDPD  Y3, Y11, Y11               // m4
	VMULPD  Y5, Y3, Y2
	VADDPD  Y2, Y12, Y12               // m5 += (y c⁴) c
	VMULPD  Y6, Y3, Y2
	VADDPD  Y2, Y13, Y13               // m6 += (y c⁴) c²
	VMULPD  Y7, Y3, Y2
	VADDPD  Y2, Y14, Y14               // m7 += (y c⁴) c³
	ADDQ    R12, R14
	INCQ    BX
	CMPQ    BX, R13
	JLT     hs7mom

	// The cumulants l1 … l7.
	VSUBPD  (R11)(AX*8), Y0, Y0        // l1 = μ − v_t
	VMOVUPD Y0, 288(SP)
	VMULPD  half<>(SB), Y9, Y1         // l2 = m2/2
	VMOVUPD Y1, 320(SP)
	VDIVPD  six<>(SB), Y10, Y1         // l3 = m3/6
	VMOVUPD Y1, 352(SP)
	VMULPD  three<>(SB), Y9, Y1        // l4 = (m4 − (3 m2) m2)/24
	VMULPD  Y9, Y1, Y1
	VSUBPD  Y1, Y11, Y1
	VDIVPD  c24<>(SB), Y1, Y1
	VMOVUPD Y1, 384(SP)
	VMULPD  ten<>(SB), Y10, Y1         // l5 = (m5 − (10 m3) m2)/120
	VMULPD  Y9, Y1, Y1
	VSUBPD  Y1, Y12, Y1
	VDIVPD  c120<>(SB), Y1, Y1
	VMOVUPD Y1, 416(SP)
	VMULPD  fifteen<>(SB), Y11, Y1     // l6 = (((m6 − (15 m4) m2) − (10 m3) m3) + ((30 m2) m2) m2)/720
	VMULPD  Y9, Y1, Y1
	VSUBPD  Y1, Y13, Y1
	VMULPD  ten<>(SB), Y10, Y2
	VMULPD  Y10, Y2, Y2
	VSUBPD  Y2, Y1, Y1
	VMULPD  thirty<>(SB), Y9, Y2
	VMULPD  Y9, Y2, Y2
	VMULPD  Y9, Y2, Y2
	VADDPD  Y2, Y1, Y1
	VDIVPD  c720<>(SB), Y1, Y1
	VMOVUPD Y1, 448(SP)
	VMULPD  c21<>(SB), Y12, Y1         // l7 = (((m7 − (21 m5) m2) − (35 m4) m3) + ((210 m3) m2) m2)/5040
	VMULPD  Y9, Y1, Y1
	VSUBPD  Y1, Y14, Y1
	VMULPD  c35<>(SB), Y11, Y2
	VMULPD  Y10, Y2, Y2
	VSUBPD  Y2, Y1, Y1
	VMULPD  c210<>(SB), Y10, Y2
	VMULPD  Y9, Y2, Y2
	VMULPD  Y9, Y2, Y2
	VADDPD  Y2, Y1, Y1
	VDIVPD  c5040<>(SB), Y1, Y1
	VMOVUPD Y1, 480(SP)

	// d1 … d7, d1², d1³ in Y1 … Y9.
	VMOVUPD 0(SP), Y1
	VMOVUPD 32(SP), Y2
	VMOVUPD 64(SP), Y3
	VMOVUPD 96(SP), Y4
	VMOVUPD 128(SP), Y5
	VMOVUPD 160(SP), Y6
	VMOVUPD 192(SP), Y7
	VMOVUPD 224(SP), Y8
	VMOVUPD 256(SP), Y9
	MOVQ    DI, R14

	// F1 = l1 d1
	VMULPD  288(SP), Y1, Y10
	VMOVUPD Y10, (R14)(AX*8)
	ADDQ    R8, R14
	// F3 = (l1 d3 + ((2 l2) d1) d2) + l3 d1³
	VMULPD  288(SP), Y3, Y10
	VMOVUPD 320(SP), Y11
	VMULPD  two<>(SB), Y11, Y11
	VMULPD  Y1, Y11, Y11
	VMULPD  Y2, Y11, Y11
	VADDPD  Y11, Y10, Y10
	VMULPD  352(SP), Y9, Y11
	VADDPD  Y11, Y10, Y10
	VMOVUPD Y10, (R14)(AX*8)
	ADDQ    R8, R14
	// F5 = (((l1 d5 + (2 l2)(d1 d4 + d2 d3)) + (3 l3)(d1² d3 + (d1 d2) d2)) + ((4 l4) d1³) d2)
	//      + (l5 d1³) d1²
	VMULPD  288(SP), Y5, Y10
	VMULPD  Y4, Y1, Y11
	VMULPD  Y3, Y2, Y12
	VADDPD  Y12, Y11, Y11
	VMOVUPD 320(SP), Y12
	VMULPD  two<>(SB), Y12, Y12
	VMULPD  Y11, Y12, Y11
	VADDPD  Y11, Y10, Y10
	VMULPD  Y3, Y8, Y11
	VMULPD  Y2, Y1, Y12
	VMULPD  Y2, Y12, Y12
	VADDPD  Y12, Y11, Y11
	VMOVUPD 352(SP), Y12
	VMULPD  three<>(SB), Y12, Y12
	VMULPD  Y11, Y12, Y11
	VADDPD  Y11, Y10, Y10
	VMOVUPD 384(SP), Y11
	VMULPD  four<>(SB), Y11, Y11
	VMULPD  Y9, Y11, Y11
	VMULPD  Y2, Y11, Y11
	VADDPD  Y11, Y10, Y10
	VMULPD  416(SP), Y9, Y11
	VMULPD  Y8, Y11, Y11
	VADDPD  Y11, Y10, Y10
	VMOVUPD Y10, (R14)(AX*8)
	ADDQ    R8, R14
	// F7 = l1 d7 + (2 l2)((d1 d6 + d2 d5) + d3 d4)
	//      + l3((((3 d1²) d5 + ((6 d1) d2) d4) + ((3 d1) d3) d3) + ((3 d2) d2) d3)
	//      + l4(((4 d1³) d4 + ((12 d1²) d2) d3) + (((4 d1) d2) d2) d2)
	//      + l5(((5 d1³) d1) d3 + ((10 d1³) d2) d2) + (((6 l6) d1³) d1²) d2 + ((l7 d1³) d1³) d1,
	//      added left to right
	VMULPD  288(SP), Y7, Y10
	VMULPD  Y6, Y1, Y11
	VMULPD  Y5, Y2, Y12
	VADDPD  Y12, Y11, Y11
	VMULPD  Y4, Y3, Y12
	VADDPD  Y12, Y11, Y11
	VMOVUPD 320(SP), Y12
	VMULPD  two<>(SB), Y12, Y12
	VMULPD  Y11, Y12, Y11
	VADDPD  Y11, Y10, Y10
	VMULPD  three<>(SB), Y8, Y11
	VMULPD  Y5, Y11, Y11
	VMULPD  six<>(SB), Y1, Y12
	VMULPD  Y2, Y12, Y12
	VMULPD  Y4, Y12, Y12
	VADDPD  Y12, Y11, Y11
	VMULPD  three<>(SB), Y1, Y12
	VMULPD  Y3, Y12, Y12
	VMULPD  Y3, Y12, Y12
	VADDPD  Y12, Y11, Y11
	VMULPD  three<>(SB), Y2, Y12
	VMULPD  Y2, Y12, Y12
	VMULPD  Y3, Y12, Y12
	VADDPD  Y12, Y11, Y11
	VMULPD  352(SP), Y11, Y11
	VADDPD  Y11, Y10, Y10
	VMULPD  four<>(SB), Y9, Y11
	VMULPD  Y4, Y11, Y11
	VMULPD  twelve<>(SB), Y8, Y12
	VMULPD  Y2, Y12, Y12
	VMULPD  Y3, Y12, Y12
	VADDPD  Y12, Y11, Y11
	VMULPD  four<>(SB), Y1, Y12
	VMULPD  Y2, Y12, Y12
	VMULPD  Y2, Y12, Y12
	VMULPD  Y2, Y12, Y12
	VADDPD  Y12, Y11, Y11
	VMULPD  384(SP), Y11, Y11
	VADDPD  Y11, Y10, Y10
	VMULPD  five<>(SB), Y9, Y11
	VMULPD  Y1, Y11, Y11
	VMULPD  Y3, Y11, Y11
	VMULPD  ten<>(SB), Y9, Y12
	VMULPD  Y2, Y12, Y12
	VMULPD  Y2, Y12, Y12
	VADDPD  Y12, Y11, Y11
	VMULPD  416(SP), Y11, Y11
	VADDPD  Y11, Y10, Y10
	VMOVUPD 448(SP), Y11
	VMULPD  six<>(SB), Y11, Y11
	VMULPD  Y9, Y11, Y11
	VMULPD  Y8, Y11, Y11
	VMULPD  Y2, Y11, Y11
	VADDPD  Y11, Y10, Y10
	VMULPD  480(SP), Y9, Y11
	VMULPD  Y9, Y11, Y11
	VMULPD  Y1, Y11, Y11
	VADDPD  Y11, Y10, Y10
	VMOVUPD Y10, (R14)(AX*8)

	ADDQ $4, AX
	JMP  hs7group

hs7done:
	VZEROUPPER
	RET

// func series17AVX2(acc, hs, x *float64, ldx, rows int, coef *float64, qs int, nc *int32)
//
// series17AVX2 is seriesAccGo for 17 columns, rows >= 1, and a last column whose x is 1 in
// every row: the 16 first are held in four registers, the last in the low lane of a fifth,
// where its term is P_r(hs) (hs·1·1 = hs, 1·p = p) by the same operations.
TEXT ·series17AVX2(SB), NOSPLIT, $0-64
	MOVQ acc+0(FP), DI
	MOVQ hs+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ ldx+24(FP), R9
	SHLQ $3, R9
	MOVQ rows+32(FP), R13
	MOVQ coef+40(FP), DX
	MOVQ qs+48(FP), R10
	SHLQ $3, R10
	MOVQ nc+56(FP), R11
	VMOVUPD 0(DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
	VMOVSD  128(DI), X13               // the last column's sum
series17row:
	MOVLQSX (R11), AX
	TESTQ AX, AX
	JZ   series17next
	VMOVUPD 0(SI), Y4
	VMULPD 0(R8), Y4, Y4
	VMULPD 0(SI), Y4, Y4
	VMOVUPD 32(SI), Y5
	VMULPD 32(R8), Y5, Y5
	VMULPD 32(SI), Y5, Y5
	VMOVUPD 64(SI), Y6
	VMULPD 64(R8), Y6, Y6
	VMULPD 64(SI), Y6, Y6
	VMOVUPD 96(SI), Y7
	VMULPD 96(R8), Y7, Y7
	VMULPD 96(SI), Y7, Y7
	DECQ AX
	MOVQ AX, CX
	IMULQ R10, CX
	ADDQ DX, CX
	VBROADCASTSD (CX), Y12
	VMOVAPD Y12, Y8
	VMOVAPD Y12, Y9
	VMOVAPD Y12, Y10
	VMOVAPD Y12, Y11
	VMOVAPD X12, X14                   // the last column's p
	TESTQ AX, AX
	JZ   series17sum
series17horner:
	SUBQ R10, CX
	VBROADCASTSD (CX), Y12
	VMULPD Y8, Y4, Y8
	VADDPD Y8, Y12, Y8
	VMULPD Y9, Y5, Y9
	VADDPD Y9, Y12, Y9
	VMULPD Y10, Y6, Y10
	VADDPD Y10, Y12, Y10
	VMULPD Y11, Y7, Y11
	VADDPD Y11, Y12, Y11
	VMULSD 128(R8), X14, X14           // u·p with u = hs
	VADDSD X14, X12, X14
	DECQ AX
	JNZ  series17horner
series17sum:
	VMULPD 0(SI), Y8, Y8
	VADDPD Y8, Y0, Y0
	VMULPD 32(SI), Y9, Y9
	VADDPD Y9, Y1, Y1
	VMULPD 64(SI), Y10, Y10
	VADDPD Y10, Y2, Y2
	VMULPD 96(SI), Y11, Y11
	VADDPD Y11, Y3, Y3
	VADDSD X14, X13, X13
series17next:
	ADDQ R9, SI
	ADDQ $8, DX
	ADDQ $4, R11
	DECQ R13
	JNZ  series17row
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VMOVSD  X13, 128(DI)
	VZEROUPPER
	RET

DATA negZero<>+0(SB)/8, $0x8000000000000000
DATA negZero<>+8(SB)/8, $0x8000000000000000
DATA negZero<>+16(SB)/8, $0x8000000000000000
DATA negZero<>+24(SB)/8, $0x8000000000000000
GLOBL negZero<>(SB), RODATA|NOPTR, $32

// func sigmoidAVX2(z, ez, b *float64, n int) int
//
// sigmoidAVX2 computes sigmoidGo for i < n (a multiple of 4), four at a time: e = exp(−b[i])
// as expAVX2 does, z[i] = 1/(1 + e) and ez[i] = e·z[i]. It stops at the first group of four
// with a −b[i] outside [-708, 709] (or NaN), as expAVX2 does; within, e is finite, so ez is
// always the product. It returns the number of elements done.
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-40
	MOVQ z+0(FP), DI
	MOVQ ez+8(FP), R8
	MOVQ b+16(FP), SI
	MOVQ n+24(FP), CX
	XORQ AX, AX

sigloop:
	CMPQ AX, CX
	JGE  sigdone
	VMOVUPD (SI)(AX*8), Y0
	VXORPD  negZero<>(SB), Y0, Y0 // x = −b
	EXP_IN_RANGE
	CMPQ    DX, $15
	JNE     sigdone
	EXP_Y0
	VADDPD  one<>(SB), Y4, Y5     // 1 + e
	VMOVUPD one<>(SB), Y6
	VDIVPD  Y5, Y6, Y6            // z = 1/(1 + e)
	VMOVUPD Y6, (DI)(AX*8)
	VMULPD  Y6, Y4, Y4            // ez = e·z
	VMOVUPD Y4, (R8)(AX*8)
	ADDQ    $4, AX
	JMP     sigloop

sigdone:
	MOVQ AX, ret+32(FP)
	VZEROUPPER
	RET

// func expDiffAVX2(dst, a, b *float64, n int) int
//
// expDiffAVX2 sets dst[i] = exp(a[i] − b[i]) for i < n (a multiple of 4), four at a time, the
// difference rounded and its exp computed as expAVX2 does, and stops where expAVX2 would. It
// returns the number of elements done.
TEXT ·expDiffAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), R8
	MOVQ n+24(FP), CX
	XORQ AX, AX

edloop:
	CMPQ AX, CX
	JGE  eddone
	VMOVUPD (SI)(AX*8), Y0
	VSUBPD  (R8)(AX*8), Y0, Y0    // x = a − b
	EXP_IN_RANGE
	CMPQ    DX, $15
	JNE     eddone
	EXP_Y0
	VMOVUPD Y4, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     edloop

eddone:
	MOVQ AX, ret+32(FP)
	VZEROUPPER
	RET

// func outSeries7AVX2(coef *float64, cs int, y *float64, labels *int32, k, n int, with7 bool)
//
// outSeries7AVX2 computes outputSeries7RowsGo for the rows r < n (a multiple of 4), four at a
// time, with the same operations in the same order: coefficient q of row r goes to
// coef[q·cs + r].
TEXT ·outSeries7AVX2(SB), NOSPLIT, $0-49
	MOVQ coef+0(FP), DI
	MOVQ cs+8(FP), R9
	SHLQ $3, R9                      // the stride in bytes
	MOVQ y+16(FP), SI
	MOVQ labels+24(FP), R8
	MOVQ n+40(FP), CX
	MOVBQZX with7+48(FP), R10
	VPBROADCASTD k+32(FP), X15       // k in every 32-bit lane
	VMOVUPD one<>(SB), Y14
	LEAQ (DI)(R9*1), R11             // coef + cs
	LEAQ (R11)(R9*1), R12            // coef + 2cs
	LEAQ (R12)(R9*1), R13            // coef + 3cs
	XORQ AX, AX

osloop:
	CMPQ AX, CX
	JGE  osdone
	VMOVUPD (SI)(AX*8), Y0           // y
	VMOVDQU (R8)(AX*4), X1           // the rows' classes
	VPCMPEQD X15, X1, X1
	VPMOVSXDQ X1, Y1                 // all ones where the class is k
	VANDPD  Y14, Y1, Y1              // [t = k]
	VSUBPD  Y1, Y0, Y2               // c1 = y − [t = k]
	VMOVUPD Y2, (DI)(AX*8)
	VSUBPD  Y0, Y14, Y3              // 1 − y
	VMULPD  Y3, Y0, Y3               // s = y(1 − y)
	VADDPD  Y0, Y0, Y4               // 2y
	VSUBPD  Y4, Y14, Y4              // 1 − 2y
	VMULPD  Y4, Y3, Y4               // g = s(1 − 2y)
	VDIVPD  six<>(SB), Y4, Y5        // c3 = g/6
	VMOVUPD Y5, (R11)(AX*8)
	VMULPD  twelve<>(SB), Y3, Y5     // 12s
	VSUBPD  Y5, Y14, Y5              // 1 − 12s
	VMULPD  Y5, Y4, Y5               // g(1 − 12s)
	VDIVPD  c120<>(SB), Y5, Y5       // c5
	VMOVUPD Y5, (R12)(AX*8)
	VXORPD  Y6, Y6, Y6               // c7 = 0 through h⁵
	TESTQ   R10, R10
	JZ      osstore7
	VMULPD  sixty<>(SB), Y3, Y6      // 60s
	VSUBPD  Y6, Y14, Y6              // 1 − 60s
	VMULPD  c360<>(SB), Y3, Y7       // 360s
	VMULPD  Y3, Y7, Y7               // 360s·s
	VADDPD  Y7, Y6, Y6               // (1 − 60s) + 360s²
	VMULPD  Y6, Y4, Y6               // g(…)
	VDIVPD  c5040<>(SB), Y6, Y6      // c7

osstore7:
	VMOVUPD Y6, (R13)(AX*8)
	ADDQ    $4, AX
	JMP     osloop

osdone:
	VZEROUPPER
	RET

DATA int64One<>+0(SB)/8, $1
DATA int64One<>+8(SB)/8, $1
DATA int64One<>+16(SB)/8, $1
DATA int64One<>+24(SB)/8, $1
GLOBL int64One<>(SB), RODATA|NOPTR, $32

// func argmaxColsAVX2(mx *float64, im *int, a *float64, as, k, n int)
//
// argmaxColsAVX2 computes argmaxColsGo for the rows r < n (a multiple of 4), four at a time:
// per column q ≥ 1, where a > mx (ordered: false for a NaN on either side) mx takes a and
// im takes q.
TEXT ·argmaxColsAVX2(SB), NOSPLIT, $0-48
	MOVQ mx+0(FP), DI
	MOVQ im+8(FP), R8
	MOVQ a+16(FP), SI
	MOVQ as+24(FP), R9
	SHLQ $3, R9                  // the column stride in bytes
	MOVQ k+32(FP), R10
	MOVQ n+40(FP), CX
	XORQ AX, AX

amloop:
	CMPQ AX, CX
	JGE  amdone
	LEAQ (SI)(AX*8), R11         // a's column 0 at row r
	VMOVUPD (R11), Y0            // mx = a_0
	VPXOR   Y1, Y1, Y1           // im = 0
	VPXOR   Y2, Y2, Y2           // q = 0
	MOVQ    $1, R12

amcol:
	CMPQ R12, R10
	JGE  amstore
	ADDQ R9, R11
	VPADDQ  int64One<>(SB), Y2, Y2
	VMOVUPD (R11), Y3
	VCMPPD  $0x1e, Y0, Y3, Y4    // a > mx
	VBLENDVPD Y4, Y3, Y0, Y0     // mx = a there
	VBLENDVPD Y4, Y2, Y1, Y1     // im = q there
	INCQ R12
	JMP  amcol

amstore:
	VMOVUPD Y0, (DI)(AX*8)
	VMOVDQU Y1, (R8)(AX*8)
	ADDQ    $4, AX
	JMP     amloop

amdone:
	VZEROUPPER
	RET

// func sumColsAVX2(sum, y *float64, ys, k, n int)
//
// sumColsAVX2 computes sumColsGo for the rows r < n (a multiple of 4), four at a time: from
// +0, y's columns added in order.
TEXT ·sumColsAVX2(SB), NOSPLIT, $0-40
	MOVQ sum+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ ys+16(FP), R9
	SHLQ $3, R9
	MOVQ k+24(FP), R10
	MOVQ n+32(FP), CX
	XORQ AX, AX

scloop:
	CMPQ AX, CX
	JGE  scdone
	LEAQ (SI)(AX*8), R11
	VXORPD Y0, Y0, Y0            // +0
	XORQ   R12, R12

sccol:
	CMPQ R12, R10
	JGE  scstore
	VADDPD (R11), Y0, Y0
	ADDQ R9, R11
	INCQ R12
	JMP  sccol

scstore:
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     scloop

scdone:
	VZEROUPPER
	RET

// func anyNonFinite3AVX2(coef *float64, cs, n int) bool
//
// anyNonFinite3AVX2 computes anyNonFinite3Go for the rows r < n (a multiple of 4), four at a
// time: v = (c_r + c_{cs+r}) + c_{2cs+r}, and v − v is 0 unless v is infinite or NaN.
TEXT ·anyNonFinite3AVX2(SB), NOSPLIT, $0-25
	MOVQ coef+0(FP), DI
	MOVQ cs+8(FP), R9
	SHLQ $3, R9
	MOVQ n+16(FP), CX
	LEAQ (DI)(R9*1), R11
	LEAQ (R11)(R9*1), R12
	XORQ AX, AX
	VXORPD Y7, Y7, Y7

nfloop:
	CMPQ AX, CX
	JGE  nfnone
	VMOVUPD (DI)(AX*8), Y0
	VADDPD  (R11)(AX*8), Y0, Y0
	VADDPD  (R12)(AX*8), Y0, Y0
	VSUBPD  Y0, Y0, Y0
	VCMPPD  $0x04, Y7, Y0, Y1    // v − v ≠ 0, or unordered
	VMOVMSKPD Y1, DX
	TESTQ   DX, DX
	JNZ     nfsome
	ADDQ    $4, AX
	JMP     nfloop

nfnone:
	MOVB $0, ret+24(FP)
	VZEROUPPER
	RET

nfsome:
	MOVB $1, ret+24(FP)
	VZEROUPPER
	RET

// func minMaxInt32AVX2(x *int32, n int) (lo, hi int32)
//
// minMaxInt32AVX2 returns the smallest of x[i] and the largest of 0 and x[i] for i < n (a
// positive multiple of 8), eight at a time.
TEXT ·minMaxInt32AVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VPXOR   Y0, Y0, Y0           // the largest, from 0
	VMOVDQU (SI), Y2             // the smallest, from the first eight
	XORQ    DX, DX

mxloop:
	CMPQ DX, CX
	JGE  mxdone
	VMOVDQU (SI)(DX*4), Y1
	VPMAXSD Y1, Y0, Y0
	VPMINSD Y1, Y2, Y2
	ADDQ    $8, DX
	JMP     mxloop

mxdone:
	VEXTRACTI128 $1, Y0, X1
	VPMAXSD X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPMAXSD X1, X0, X0
	VPSHUFD $0xb1, X0, X1
	VPMAXSD X1, X0, X0
	VMOVD   X0, AX
	MOVL    AX, hi+20(FP)
	VEXTRACTI128 $1, Y2, X3
	VPMINSD X3, X2, X2
	VPSHUFD $0x4e, X2, X3
	VPMINSD X3, X2, X2
	VPSHUFD $0xb1, X2, X3
	VPMINSD X3, X2, X2
	VMOVD   X2, AX
	MOVL    AX, lo+16(FP)
	VZEROUPPER
	RET

// func seriesFixedAVX2(acc, hs, x *float64, ldx, rows int, coef *float64, qs, c, w int)
//
// seriesFixedAVX2 is seriesAVX2 for w ≤ 4 columns and rows that all have c = 3 or c = 4
// coefficients: the same operations in the same order, without a row's count to read and its
// Horner loop to run. rows must be at least 1.
TEXT ·seriesFixedAVX2(SB), NOSPLIT, $0-72
	MOVQ acc+0(FP), DI
	MOVQ hs+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ ldx+24(FP), R9
	SHLQ $3, R9
	MOVQ rows+32(FP), R13
	MOVQ coef+40(FP), DX
	MOVQ qs+48(FP), R10
	SHLQ $3, R10
	MOVQ c+56(FP), R12
	MOVQ w+64(FP), CX
	ANDQ $3, CX
	SHLQ $5, CX
	LEAQ tailMask<>(SB), R14
	VMOVUPD (R14)(CX*1), Y15
	VMASKMOVPD (DI), Y15, Y0         // acc
	VMASKMOVPD (R8), Y15, Y4         // hs, the same for every row
	LEAQ (DX)(R10*1), R11            // coefficient 1 of the row
	LEAQ (R11)(R10*1), R14           // coefficient 2
	LEAQ (R14)(R10*1), BX            // coefficient 3
	CMPQ R12, $4
	JEQ  fixed4

fixed3:
	VMASKMOVPD (SI), Y15, Y13        // x
	VMULPD Y13, Y4, Y5
	VMULPD Y13, Y5, Y5               // u = hs·x·x
	VBROADCASTSD (R14), Y8           // p = c2
	VBROADCASTSD (R11), Y12
	VMULPD Y8, Y5, Y8
	VADDPD Y8, Y12, Y8               // p = c1 + u·p
	VBROADCASTSD (DX), Y12
	VMULPD Y8, Y5, Y8
	VADDPD Y8, Y12, Y8               // p = c0 + u·p
	VMULPD Y13, Y8, Y8
	VADDPD Y8, Y0, Y0                // acc += x·p
	ADDQ R9, SI
	ADDQ $8, DX
	ADDQ $8, R11
	ADDQ $8, R14
	DECQ R13
	JNZ  fixed3
	JMP  fixeddone

fixed4:
	VMASKMOVPD (SI), Y15, Y13
	VMULPD Y13, Y4, Y5
	VMULPD Y13, Y5, Y5
	VBROADCASTSD (BX), Y8            // p = c3
	VBROADCASTSD (R14), Y12
	VMULPD Y8, Y5, Y8
	VADDPD Y8, Y12, Y8               // p = c2 + u·p
	VBROADCASTSD (R11), Y12
	VMULPD Y8, Y5, Y8
	VADDPD Y8, Y12, Y8               // p = c1 + u·p
	VBROADCASTSD (DX), Y12
	VMULPD Y8, Y5, Y8
	VADDPD Y8, Y12, Y8               // p = c0 + u·p
	VMULPD Y13, Y8, Y8
	VADDPD Y8, Y0, Y0
	ADDQ R9, SI
	ADDQ $8, DX
	ADDQ $8, R11
	ADDQ $8, R14
	ADDQ $8, BX
	DECQ R13
	JNZ  fixed4

fixeddone:
	VMASKMOVPD Y0, Y15, (DI)
	VZEROUPPER
	RET
