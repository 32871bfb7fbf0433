package org.jkvm.runtime;

/** A segment register with its descriptor cache, as {@code struct kvm_segment} carries it. */
public final class Segment {
  public long base;
  public int limit;
  public int selector;
  public int type;
  public boolean present;
  public int dpl;
  public boolean db;
  public boolean s;
  public boolean l;
  public boolean g;
  public boolean avl;
  public boolean unusable;

  /** Packs the attributes into the VMX access-rights layout {@link CpuState} keeps. */
  public int attributes() {
    return (type & 0xF) | (s ? CpuState.SEG_S : 0) | ((dpl & 3) << CpuState.SEG_DPL_SHIFT)
        | (present ? CpuState.SEG_P : 0) | (avl ? CpuState.SEG_AVL : 0) | (l ? CpuState.SEG_L : 0)
        | (db ? CpuState.SEG_DB : 0) | (g ? CpuState.SEG_G : 0) | (unusable ? CpuState.SEG_UNUSABLE : 0);
  }

  /** Unpacks VMX access rights. */
  public void setAttributes(int a) {
    type = a & 0xF;
    s = (a & CpuState.SEG_S) != 0;
    dpl = (a >>> CpuState.SEG_DPL_SHIFT) & 3;
    present = (a & CpuState.SEG_P) != 0;
    avl = (a & CpuState.SEG_AVL) != 0;
    l = (a & CpuState.SEG_L) != 0;
    db = (a & CpuState.SEG_DB) != 0;
    g = (a & CpuState.SEG_G) != 0;
    unusable = (a & CpuState.SEG_UNUSABLE) != 0;
  }
}
