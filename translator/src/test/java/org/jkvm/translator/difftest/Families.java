package org.jkvm.translator.difftest;

import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jkvm.translator.isa.FormCatalog.Form;
import org.jkvm.translator.isa.Handler;

/**
 * Instruction families: a form's family is the semantics class its handler lives in (Alu, Shift, SseInt
 * …), which is how the sources group instructions, one file per family.
 */
final class Families {
  private Families() {}

  private static final Map<Handler, String> CACHE = new ConcurrentHashMap<>();

  static String of(Form f) {
    Handler h = f.handler();
    if (h == null) {
      return "none";
    }
    return CACHE.computeIfAbsent(h, Families::owner);
  }

  private static String owner(Handler h) {
    try {
      Method wr = h.getClass().getDeclaredMethod("writeReplace");
      wr.setAccessible(true);
      SerializedLambda sl = (SerializedLambda) wr.invoke(h);
      String c = sl.getImplClass();
      return c.substring(c.lastIndexOf('/') + 1);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("handler is not a method reference: " + h, e);
    }
  }

  /** SSE and MMX families: memory operands get floating-point patterns. */
  static boolean isSse(Form f) {
    return of(f).startsWith("Sse");
  }
}
