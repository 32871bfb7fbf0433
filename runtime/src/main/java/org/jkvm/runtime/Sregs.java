package org.jkvm.runtime;

/** Special registers, as KVM_GET_SREGS/KVM_SET_SREGS carry them ({@code struct kvm_sregs}). */
public final class Sregs {
  /** ES, CS, SS, DS, FS, GS in encoding order. */
  public final Segment[] seg = new Segment[6];
  public final Segment tr = new Segment();
  public final Segment ldt = new Segment();
  public long gdtBase;
  public int gdtLimit;
  public long idtBase;
  public int idtLimit;
  public long cr0;
  public long cr2;
  public long cr3;
  public long cr4;
  public long cr8;
  public long efer;
  public long apicBase;

  public Sregs() {
    for (int i = 0; i < 6; i++) {
      seg[i] = new Segment();
    }
  }
}
