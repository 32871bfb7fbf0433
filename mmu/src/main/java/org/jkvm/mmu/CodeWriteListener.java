package org.jkvm.mmu;

/**
 * Told when guest memory that holds translated or pre-decoded code is written, by a vCPU or by device DMA.
 * This is how self-modifying code is caught (DESIGN.md rule 4): only writes to pages marked as code reach it.
 */
public interface CodeWriteListener {
  /** The guest physical page at {@code gpaPage} (page aligned) changed; drop what was built from it. */
  void codeWritten(long gpaPage);
}
