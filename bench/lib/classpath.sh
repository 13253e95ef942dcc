# shellcheck shell=bash
# Sourced by the bench scripts. module_test_classpath MODULE BUILD prints the class path of
# MODULE's test classes (compiling them first when BUILD is 1); run from the repository root.
module_test_classpath() {
  local module="$1" build="$2" cpfile
  if [[ "$build" == 1 ]]; then
    ./mvnw -o -q -pl "$module" test-compile >&2
  fi
  cpfile="$(mktemp)"
  ./mvnw -o -q -pl "$module" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile="$cpfile" -Dmdep.includeScope=test >&2
  echo "$module/target/test-classes:$module/target/classes:$(cat "$cpfile")"
  rm -f "$cpfile"
}
