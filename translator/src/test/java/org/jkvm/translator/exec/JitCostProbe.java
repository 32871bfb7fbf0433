package org.jkvm.translator.exec;

import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jkvm.translator.TestMachine;
import org.jkvm.translator.TranslatorBackend;

/**
 * Not a test: measures what translating a region costs once the JVM is warm (ASM and the compiler itself
 * compiled by HotSpot), to set the translation threshold against the interpreter's speed. Run with the
 * test classpath: {@code java -cp ... org.jkvm.translator.exec.JitCostProbe [programs]}.
 */
public final class JitCostProbe {
  private JitCostProbe() {}

  public static void main(String[] args) {
    int programs = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
    Random rnd = new Random(1);
    TestMachine m = TestMachine.translatingEverything(TranslatorBackend.Engine.JIT);
    TestMachine interp = new TestMachine(TranslatorBackend.Engine.INTERP);
    long[] last = new long[3];
    for (int t = 0; t < programs; t++) {
      byte[] code = JitAgreementTest.program(rnd);
      for (TestMachine x : new TestMachine[] {m, interp}) {
        x.write(JitAgreementTest.CODE + 0x1000L * t, code);
        x.longMode(JitAgreementTest.CODE + 0x1000L * t, 0);
        x.c.gpr[14] = JitAgreementTest.DATA;
        x.c.gpr[15] = 1;
        x.c.halted = false;
        long t0 = System.nanoTime();
        x.runToHlt();
        if (x == interp) {
          last[2] += System.nanoTime() - t0;
        }
      }
      if (t == programs / 2 || t == programs - 1) {
        String s = m.vcpu.stats();
        long n = stat(s, "jit regions compiled");
        long bytes = stat(s, "jit bytecode bytes");
        double ms = Double.parseDouble(find(s, "jit compile ms"));
        System.out.printf("define ms %s of compile ms %.1f%n", find(s, "jit define ms"), ms);
        if (t == programs / 2) {
          last[0] = n;
          last[1] = Double.doubleToLongBits(ms);
          last[2] = 0;
          System.out.printf("first half: %d regions, %.1f us each, %d bytes each%n", n, ms * 1000 / n, bytes / n);
        } else {
          long dn = n - last[0];
          double dms = ms - Double.longBitsToDouble(last[1]);
          System.out.printf("second half (warm): %d regions, %.1f us each%n", dn, dms * 1000 / dn);
          System.out.printf("interpreter over the same programs: %.1f us each%n", last[2] / 1e3 / (programs / 2));
        }
      }
    }
  }

  static String find(String s, String name) {
    Matcher x = Pattern.compile("  " + Pattern.quote(name) + " +([0-9.]+)").matcher(s);
    if (!x.find()) {
      throw new IllegalStateException(name);
    }
    return x.group(1);
  }

  static long stat(String s, String name) {
    return Long.parseLong(find(s, name));
  }
}
