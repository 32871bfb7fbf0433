package org.jkvm.translator.isa;

import static org.jkvm.translator.isa.OpEntry.MEM_ONLY;
import static org.jkvm.translator.isa.OpEntry.REG_ONLY;
import static org.jkvm.translator.isa.OpEntry.group;
import static org.jkvm.translator.isa.OpEntry.op;
import static org.jkvm.translator.isa.OpEntry.prefixed;
import static org.jkvm.translator.isa.Operand.Ew;
import static org.jkvm.translator.isa.Operand.Ey;
import static org.jkvm.translator.isa.Operand.Gd;
import static org.jkvm.translator.isa.Operand.Gy;
import static org.jkvm.translator.isa.Operand.Ib;
import static org.jkvm.translator.isa.Operand.Mdq;
import static org.jkvm.translator.isa.Operand.Mq;
import static org.jkvm.translator.isa.Operand.Nq;
import static org.jkvm.translator.isa.Operand.Pq;
import static org.jkvm.translator.isa.Operand.Qd;
import static org.jkvm.translator.isa.Operand.Qq;
import static org.jkvm.translator.isa.Operand.Ux;
import static org.jkvm.translator.isa.Operand.Vx;
import static org.jkvm.translator.isa.Operand.Wd;
import static org.jkvm.translator.isa.Operand.Wq;
import static org.jkvm.translator.isa.Operand.Wx;

import org.jkvm.translator.sem.SseArith;
import org.jkvm.translator.sem.SseConvert;
import org.jkvm.translator.sem.SseInt;
import org.jkvm.translator.sem.SseMove;

/**
 * SSE, SSE2, SSE3, SSSE3 and MMX rows of the 0F, 0F 38 and 0F 3A maps (SDM Vol. 2, Tables ),
 * selected by mandatory prefix: {@code prefixed(none, 66, F3, F2)}. Integer rows have an MMX form (no
 * prefix, P/Q/N operands) and an XMM form (66, V/W/U operands) served by the same handler.
 */
final class SseMap {
  private SseMap() {}

  /** An integer operation in its MMX (Pq, Qq) and XMM (Vx, Wx) forms. */
  private static OpEntry mmxXmm(String name, Handler h) {
    return prefixed(op(name, h, 0, Pq, Qq), op(name, h, 0, Vx, Wx), null, null);
  }

  /** A floating-point operation in its PS, PD, SS and SD forms. */
  private static OpEntry fp(String name, Handler ps, Handler pd, Handler ss, Handler sd) {
    return prefixed(op(name + "PS", ps, 0, Vx, Wx), op(name + "PD", pd, 0, Vx, Wx),
        ss == null ? null : op(name + "SS", ss, 0, Vx, Wd), sd == null ? null : op(name + "SD", sd, 0, Vx, Wq));
  }

  static void fillTwoByte(OpEntry[] t) {
    t[0x10] = prefixed(op("MOVUPS", SseMove::movUnaligned, 0, Vx, Wx), op("MOVUPD", SseMove::movUnaligned, 0, Vx, Wx),
        op("MOVSS", SseMove::movss, 0, Vx, Wd), op("MOVSD", SseMove::movsd, 0, Vx, Wq));
    t[0x11] = prefixed(op("MOVUPS", SseMove::movUnaligned, 0, Wx, Vx), op("MOVUPD", SseMove::movUnaligned, 0, Wx, Vx),
        op("MOVSS", SseMove::movss, 0, Wd, Vx), op("MOVSD", SseMove::movsd, 0, Wq, Vx));
    // 0F 12: MOVLPS Vq,Mq, or MOVHLPS Vq,Uq with a register operand.
    t[0x12] = prefixed(op("MOVLPS/MOVHLPS", SseMove::movlpsLoad, 0, Vx, Wq),
        op("MOVLPD", SseMove::movlpsLoad, MEM_ONLY, Vx, Mq),
        op("MOVSLDUP", SseMove::movsldup, 0, Vx, Wx), op("MOVDDUP", SseMove::movddup, 0, Vx, Wq));
    t[0x13] = prefixed(op("MOVLPS", SseMove::movlpsStore, MEM_ONLY, Mq, Vx),
        op("MOVLPD", SseMove::movlpsStore, MEM_ONLY, Mq, Vx), null, null);
    t[0x14] = prefixed(op("UNPCKLPS", SseInt::unpcklps, 0, Vx, Wx), op("UNPCKLPD", SseInt::unpcklpd, 0, Vx, Wx),
        null, null);
    t[0x15] = prefixed(op("UNPCKHPS", SseInt::unpckhps, 0, Vx, Wx), op("UNPCKHPD", SseInt::unpckhpd, 0, Vx, Wx),
        null, null);
    t[0x16] = prefixed(op("MOVHPS/MOVLHPS", SseMove::movhpsLoad, 0, Vx, Wq),
        op("MOVHPD", SseMove::movhpsLoad, MEM_ONLY, Vx, Mq), op("MOVSHDUP", SseMove::movshdup, 0, Vx, Wx), null);
    t[0x17] = prefixed(op("MOVHPS", SseMove::movhpsStore, MEM_ONLY, Mq, Vx),
        op("MOVHPD", SseMove::movhpsStore, MEM_ONLY, Mq, Vx), null, null);
    t[0x28] = prefixed(op("MOVAPS", SseMove::movAligned, 0, Vx, Wx), op("MOVAPD", SseMove::movAligned, 0, Vx, Wx),
        null, null);
    t[0x29] = prefixed(op("MOVAPS", SseMove::movAligned, 0, Wx, Vx), op("MOVAPD", SseMove::movAligned, 0, Wx, Vx),
        null, null);
    t[0x2A] = prefixed(op("CVTPI2PS", SseConvert::cvtpi2ps, 0, Vx, Qq), op("CVTPI2PD", SseConvert::cvtpi2pd, 0, Vx, Qq),
        op("CVTSI2SS", SseConvert::cvtsi2ss, 0, Vx, Ey), op("CVTSI2SD", SseConvert::cvtsi2sd, 0, Vx, Ey));
    t[0x2B] = prefixed(op("MOVNTPS", SseMove::movAligned, MEM_ONLY, Mdq, Vx),
        op("MOVNTPD", SseMove::movAligned, MEM_ONLY, Mdq, Vx), null, null);
    t[0x2C] = prefixed(op("CVTTPS2PI", SseConvert::cvttps2pi, 0, Pq, Wq),
        op("CVTTPD2PI", SseConvert::cvttpd2pi, 0, Pq, Wx),
        op("CVTTSS2SI", SseConvert::cvttss2si, 0, Gy, Wd), op("CVTTSD2SI", SseConvert::cvttsd2si, 0, Gy, Wq));
    t[0x2D] = prefixed(op("CVTPS2PI", SseConvert::cvtps2pi, 0, Pq, Wq), op("CVTPD2PI", SseConvert::cvtpd2pi, 0, Pq, Wx),
        op("CVTSS2SI", SseConvert::cvtss2si, 0, Gy, Wd), op("CVTSD2SI", SseConvert::cvtsd2si, 0, Gy, Wq));
    t[0x2E] = prefixed(op("UCOMISS", SseArith::ucomiss, 0, Vx, Wd), op("UCOMISD", SseArith::ucomisd, 0, Vx, Wq),
        null, null);
    t[0x2F] = prefixed(op("COMISS", SseArith::comiss, 0, Vx, Wd), op("COMISD", SseArith::comisd, 0, Vx, Wq),
        null, null);
    t[0x50] = prefixed(op("MOVMSKPS", SseMove::movmskps, REG_ONLY, Gd, Ux),
        op("MOVMSKPD", SseMove::movmskpd, REG_ONLY, Gd, Ux), null, null);
    t[0x51] = fp("SQRT", SseArith::sqrtps, SseArith::sqrtpd, SseArith::sqrtss, SseArith::sqrtsd);
    t[0x52] = prefixed(op("RSQRTPS", SseArith::rsqrtps, 0, Vx, Wx), null, op("RSQRTSS", SseArith::rsqrtss, 0, Vx, Wd),
        null);
    t[0x53] = prefixed(op("RCPPS", SseArith::rcpps, 0, Vx, Wx), null, op("RCPSS", SseArith::rcpss, 0, Vx, Wd), null);
    t[0x54] = fp("AND", SseArith::andps, SseArith::andps, null, null);
    t[0x55] = fp("ANDN", SseArith::andnps, SseArith::andnps, null, null);
    t[0x56] = fp("OR", SseArith::orps, SseArith::orps, null, null);
    t[0x57] = fp("XOR", SseArith::xorps, SseArith::xorps, null, null);
    t[0x58] = fp("ADD", SseArith::addps, SseArith::addpd, SseArith::addss, SseArith::addsd);
    t[0x59] = fp("MUL", SseArith::mulps, SseArith::mulpd, SseArith::mulss, SseArith::mulsd);
    t[0x5A] = prefixed(op("CVTPS2PD", SseConvert::cvtps2pd, 0, Vx, Wq), op("CVTPD2PS", SseConvert::cvtpd2ps, 0, Vx, Wx),
        op("CVTSS2SD", SseConvert::cvtss2sd, 0, Vx, Wd), op("CVTSD2SS", SseConvert::cvtsd2ss, 0, Vx, Wq));
    t[0x5B] = prefixed(op("CVTDQ2PS", SseConvert::cvtdq2ps, 0, Vx, Wx), op("CVTPS2DQ", SseConvert::cvtps2dq, 0, Vx, Wx),
        op("CVTTPS2DQ", SseConvert::cvttps2dq, 0, Vx, Wx), null);
    t[0x5C] = fp("SUB", SseArith::subps, SseArith::subpd, SseArith::subss, SseArith::subsd);
    t[0x5D] = fp("MIN", SseArith::minps, SseArith::minpd, SseArith::minss, SseArith::minsd);
    t[0x5E] = fp("DIV", SseArith::divps, SseArith::divpd, SseArith::divss, SseArith::divsd);
    t[0x5F] = fp("MAX", SseArith::maxps, SseArith::maxpd, SseArith::maxss, SseArith::maxsd);
    // The MMX forms of the low unpacks read only a doubleword of memory (mm/m32): no fault past it.
    t[0x60] = prefixed(op("PUNPCKLBW", SseInt::punpcklbw, 0, Pq, Qd), op("PUNPCKLBW", SseInt::punpcklbw, 0, Vx, Wx),
        null, null);
    t[0x61] = prefixed(op("PUNPCKLWD", SseInt::punpcklwd, 0, Pq, Qd), op("PUNPCKLWD", SseInt::punpcklwd, 0, Vx, Wx),
        null, null);
    t[0x62] = prefixed(op("PUNPCKLDQ", SseInt::punpckldq, 0, Pq, Qd), op("PUNPCKLDQ", SseInt::punpckldq, 0, Vx, Wx),
        null, null);
    t[0x63] = mmxXmm("PACKSSWB", SseInt::packsswb);
    t[0x64] = mmxXmm("PCMPGTB", SseInt::pcmpgtb);
    t[0x65] = mmxXmm("PCMPGTW", SseInt::pcmpgtw);
    t[0x66] = mmxXmm("PCMPGTD", SseInt::pcmpgtd);
    t[0x67] = mmxXmm("PACKUSWB", SseInt::packuswb);
    t[0x68] = mmxXmm("PUNPCKHBW", SseInt::punpckhbw);
    t[0x69] = mmxXmm("PUNPCKHWD", SseInt::punpckhwd);
    t[0x6A] = mmxXmm("PUNPCKHDQ", SseInt::punpckhdq);
    t[0x6B] = mmxXmm("PACKSSDW", SseInt::packssdw);
    t[0x6C] = prefixed(null, op("PUNPCKLQDQ", SseInt::punpcklqdq, 0, Vx, Wx), null, null);
    t[0x6D] = prefixed(null, op("PUNPCKHQDQ", SseInt::punpckhqdq, 0, Vx, Wx), null, null);
    t[0x6E] = prefixed(op("MOVD/Q", SseMove::movdToMmx, 0, Pq, Ey), op("MOVD/Q", SseMove::movdToXmm, 0, Vx, Ey),
        null, null);
    t[0x6F] = prefixed(op("MOVQ", SseMove::movqMmx, 0, Pq, Qq), op("MOVDQA", SseMove::movAligned, 0, Vx, Wx),
        op("MOVDQU", SseMove::movUnaligned, 0, Vx, Wx), null);
    t[0x70] = prefixed(op("PSHUFW", SseInt::pshufw, 0, Pq, Qq, Ib), op("PSHUFD", SseInt::pshufd, 0, Vx, Wx, Ib),
        op("PSHUFHW", SseInt::pshufhw, 0, Vx, Wx, Ib), op("PSHUFLW", SseInt::pshuflw, 0, Vx, Wx, Ib));
    t[0x71] = shiftGroup("Grp12", null, null, SseInt::psrlw, null, SseInt::psraw, null, SseInt::psllw, null);
    t[0x72] = shiftGroup("Grp13", null, null, SseInt::psrld, null, SseInt::psrad, null, SseInt::pslld, null);
    t[0x73] = group("Grp14", new OpEntry[8], new OpEntry[] {
        null, null,
        prefixed(op("PSRLQ", SseInt::psrlq, 0, Nq, Ib), op("PSRLQ", SseInt::psrlq, 0, Ux, Ib), null, null),
        prefixed(null, op("PSRLDQ", SseInt::psrldq, 0, Ux, Ib), null, null),
        null, null,
        prefixed(op("PSLLQ", SseInt::psllq, 0, Nq, Ib), op("PSLLQ", SseInt::psllq, 0, Ux, Ib), null, null),
        prefixed(null, op("PSLLDQ", SseInt::pslldq, 0, Ux, Ib), null, null)});
    t[0x74] = mmxXmm("PCMPEQB", SseInt::pcmpeqb);
    t[0x75] = mmxXmm("PCMPEQW", SseInt::pcmpeqw);
    t[0x76] = mmxXmm("PCMPEQD", SseInt::pcmpeqd);
    t[0x77] = prefixed(op("EMMS", SseMove::emms, 0), null, null, null);
    t[0x7C] = prefixed(null, op("HADDPD", SseArith::haddpd, 0, Vx, Wx), null, op("HADDPS", SseArith::haddps, 0, Vx, Wx));
    t[0x7D] = prefixed(null, op("HSUBPD", SseArith::hsubpd, 0, Vx, Wx), null, op("HSUBPS", SseArith::hsubps, 0, Vx, Wx));
    t[0x7E] = prefixed(op("MOVD/Q", SseMove::movdFromMmx, 0, Ey, Pq), op("MOVD/Q", SseMove::movdFromXmm, 0, Ey, Vx),
        op("MOVQ", SseMove::movqToXmm, 0, Vx, Wq), null);
    t[0x7F] = prefixed(op("MOVQ", SseMove::movqMmx, 0, Qq, Pq), op("MOVDQA", SseMove::movAligned, 0, Wx, Vx),
        op("MOVDQU", SseMove::movUnaligned, 0, Wx, Vx), null);
    t[0xC2] = prefixed(op("CMPPS", SseArith::cmpps, 0, Vx, Wx, Ib), op("CMPPD", SseArith::cmppd, 0, Vx, Wx, Ib),
        op("CMPSS", SseArith::cmpss, 0, Vx, Wd, Ib), op("CMPSD", SseArith::cmpsd, 0, Vx, Wq, Ib));
    t[0xC4] = prefixed(op("PINSRW", SseInt::pinsrw, 0, Pq, Ew, Ib), op("PINSRW", SseInt::pinsrw, 0, Vx, Ew, Ib),
        null, null);
    t[0xC5] = prefixed(op("PEXTRW", SseInt::pextrw, REG_ONLY, Gd, Nq, Ib),
        op("PEXTRW", SseInt::pextrw, REG_ONLY, Gd, Ux, Ib), null, null);
    t[0xC6] = prefixed(op("SHUFPS", SseInt::shufps, 0, Vx, Wx, Ib), op("SHUFPD", SseInt::shufpd, 0, Vx, Wx, Ib),
        null, null);
    t[0xD0] = prefixed(null, op("ADDSUBPD", SseArith::addsubpd, 0, Vx, Wx), null,
        op("ADDSUBPS", SseArith::addsubps, 0, Vx, Wx));
    t[0xD1] = mmxXmm("PSRLW", SseInt::psrlw);
    t[0xD2] = mmxXmm("PSRLD", SseInt::psrld);
    t[0xD3] = mmxXmm("PSRLQ", SseInt::psrlq);
    t[0xD4] = mmxXmm("PADDQ", SseInt::paddq);
    t[0xD5] = mmxXmm("PMULLW", SseInt::pmullw);
    t[0xD6] = prefixed(null, op("MOVQ", SseMove::movqFromXmm, 0, Wq, Vx),
        op("MOVQ2DQ", SseMove::movq2dq, REG_ONLY, Vx, Nq), op("MOVDQ2Q", SseMove::movdq2q, REG_ONLY, Pq, Ux));
    t[0xD7] = prefixed(op("PMOVMSKB", SseInt::pmovmskb, REG_ONLY, Gd, Nq),
        op("PMOVMSKB", SseInt::pmovmskb, REG_ONLY, Gd, Ux), null, null);
    t[0xD8] = mmxXmm("PSUBUSB", SseInt::psubusb);
    t[0xD9] = mmxXmm("PSUBUSW", SseInt::psubusw);
    t[0xDA] = mmxXmm("PMINUB", SseInt::pminub);
    t[0xDB] = mmxXmm("PAND", SseInt::pand);
    t[0xDC] = mmxXmm("PADDUSB", SseInt::paddusb);
    t[0xDD] = mmxXmm("PADDUSW", SseInt::paddusw);
    t[0xDE] = mmxXmm("PMAXUB", SseInt::pmaxub);
    t[0xDF] = mmxXmm("PANDN", SseInt::pandn);
    t[0xE0] = mmxXmm("PAVGB", SseInt::pavgb);
    t[0xE1] = mmxXmm("PSRAW", SseInt::psraw);
    t[0xE2] = mmxXmm("PSRAD", SseInt::psrad);
    t[0xE3] = mmxXmm("PAVGW", SseInt::pavgw);
    t[0xE4] = mmxXmm("PMULHUW", SseInt::pmulhuw);
    t[0xE5] = mmxXmm("PMULHW", SseInt::pmulhw);
    t[0xE6] = prefixed(null, op("CVTTPD2DQ", SseConvert::cvttpd2dq, 0, Vx, Wx),
        op("CVTDQ2PD", SseConvert::cvtdq2pd, 0, Vx, Wq), op("CVTPD2DQ", SseConvert::cvtpd2dq, 0, Vx, Wx));
    t[0xE7] = prefixed(op("MOVNTQ", SseMove::movqMmx, MEM_ONLY, Mq, Pq),
        op("MOVNTDQ", SseMove::movAligned, MEM_ONLY, Mdq, Vx), null, null);
    t[0xE8] = mmxXmm("PSUBSB", SseInt::psubsb);
    t[0xE9] = mmxXmm("PSUBSW", SseInt::psubsw);
    t[0xEA] = mmxXmm("PMINSW", SseInt::pminsw);
    t[0xEB] = mmxXmm("POR", SseInt::por);
    t[0xEC] = mmxXmm("PADDSB", SseInt::paddsb);
    t[0xED] = mmxXmm("PADDSW", SseInt::paddsw);
    t[0xEE] = mmxXmm("PMAXSW", SseInt::pmaxsw);
    t[0xEF] = mmxXmm("PXOR", SseInt::pxor);
    t[0xF0] = prefixed(null, null, null, op("LDDQU", SseMove::movUnaligned, MEM_ONLY, Vx, Mdq));
    t[0xF1] = mmxXmm("PSLLW", SseInt::psllw);
    t[0xF2] = mmxXmm("PSLLD", SseInt::pslld);
    t[0xF3] = mmxXmm("PSLLQ", SseInt::psllq);
    t[0xF4] = mmxXmm("PMULUDQ", SseInt::pmuludq);
    t[0xF5] = mmxXmm("PMADDWD", SseInt::pmaddwd);
    t[0xF6] = mmxXmm("PSADBW", SseInt::psadbw);
    t[0xF7] = prefixed(op("MASKMOVQ", SseMove::maskmov, REG_ONLY, Pq, Nq),
        op("MASKMOVDQU", SseMove::maskmov, REG_ONLY, Vx, Ux), null, null);
    t[0xF8] = mmxXmm("PSUBB", SseInt::psubb);
    t[0xF9] = mmxXmm("PSUBW", SseInt::psubw);
    t[0xFA] = mmxXmm("PSUBD", SseInt::psubd);
    t[0xFB] = mmxXmm("PSUBQ", SseInt::psubq);
    t[0xFC] = mmxXmm("PADDB", SseInt::paddb);
    t[0xFD] = mmxXmm("PADDW", SseInt::paddw);
    t[0xFE] = mmxXmm("PADDD", SseInt::paddd);
  }

  /** Groups 12 and 13: shifts by immediate of an MMX (Nq) or XMM (Ux) register; memory forms are #UD. */
  private static OpEntry shiftGroup(String name, Handler r0, Handler r1, Handler r2, Handler r3, Handler r4,
      Handler r5, Handler r6, Handler r7) {
    Handler[] h = {r0, r1, r2, r3, r4, r5, r6, r7};
    String[] names = {null, null, "PSRL", null, "PSRA", null, "PSLL", null};
    OpEntry[] reg = new OpEntry[8];
    for (int k = 0; k < 8; k++) {
      if (h[k] != null) {
        reg[k] = prefixed(op(names[k], h[k], 0, Nq, Ib), op(names[k], h[k], 0, Ux, Ib), null, null);
      }
    }
    return group(name, new OpEntry[8], reg);
  }

  /** SSSE3 rows of 0F 38 (00-0B, 1C-1E). */
  static void fill38(OpEntry[] t) {
    t[0x00] = mmxXmm("PSHUFB", SseInt::pshufb);
    t[0x01] = mmxXmm("PHADDW", SseInt::phaddw);
    t[0x02] = mmxXmm("PHADDD", SseInt::phaddd);
    t[0x03] = mmxXmm("PHADDSW", SseInt::phaddsw);
    t[0x04] = mmxXmm("PMADDUBSW", SseInt::pmaddubsw);
    t[0x05] = mmxXmm("PHSUBW", SseInt::phsubw);
    t[0x06] = mmxXmm("PHSUBD", SseInt::phsubd);
    t[0x07] = mmxXmm("PHSUBSW", SseInt::phsubsw);
    t[0x08] = mmxXmm("PSIGNB", SseInt::psignb);
    t[0x09] = mmxXmm("PSIGNW", SseInt::psignw);
    t[0x0A] = mmxXmm("PSIGND", SseInt::psignd);
    t[0x0B] = mmxXmm("PMULHRSW", SseInt::pmulhrsw);
    t[0x1C] = mmxXmm("PABSB", SseInt::pabsb);
    t[0x1D] = mmxXmm("PABSW", SseInt::pabsw);
    t[0x1E] = mmxXmm("PABSD", SseInt::pabsd);
  }

  /** SSSE3's PALIGNR (0F 3A 0F). */
  static void fill3A(OpEntry[] t) {
    t[0x0F] = prefixed(op("PALIGNR", SseInt::palignr, 0, Pq, Qq, Ib), op("PALIGNR", SseInt::palignr, 0, Vx, Wx, Ib),
        null, null);
  }

}
