package org.jkvm.lkvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Fails the build when a module refers to a module it must not see (DESIGN.md, "Modules and the
 * direction of dependencies"): mmu <- runtime <- translator <- kvmtool-compat <- perf, and
 * runtime <- devices <- kvmtool-compat; devices also reads memory through mmu; translator and devices never
 * see each other. Every reference counts, imports and fully qualified names alike.
 */
class ModuleDirectionTest {
  static final Map<String, String> PACKAGE_OF = Map.of(
      "mmu", "mmu", "runtime", "runtime", "translator", "translator", "devices", "devices",
      "kvmtool-compat", "lkvm", "perf", "perf");

  static final Map<String, Set<String>> MAY_SEE = Map.of(
      "mmu", Set.of("mmu"),
      "runtime", Set.of("runtime", "mmu"),
      "translator", Set.of("translator", "runtime", "mmu"),
      "devices", Set.of("devices", "runtime", "mmu"),
      "kvmtool-compat", Set.of("lkvm", "translator", "devices", "runtime", "mmu"),
      "perf", Set.of("perf", "lkvm", "translator", "devices", "runtime", "mmu"));

  static final Pattern REF = Pattern.compile("\\borg\\.jkvm\\.([a-z]+)");

  @Test
  void noModuleReferencesAgainstTheGraph() throws IOException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    List<String> violations = new ArrayList<>();
    int files = 0;
    for (String module : MAY_SEE.keySet()) {
      for (String tree : List.of("src/main/java", "src/test/java")) {
        Path src = root.resolve(module).resolve(tree);
        if (!Files.isDirectory(src)) {
          continue;
        }
        try (Stream<Path> s = Files.walk(src)) {
          for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
            files++;
            String text = Files.readString(p);
            Matcher m = REF.matcher(text);
            while (m.find()) {
              String target = m.group(1);
              if (!MAY_SEE.get(module).contains(target)) {
                violations.add(root.relativize(p) + " refers to org.jkvm." + target);
              }
            }
          }
        }
      }
    }
    assertTrue(files > 50, "found only " + files + " source files under " + root);
    assertEquals(List.of(), violations);
  }
}
