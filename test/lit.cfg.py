# lit configuration for deployc's FileCheck and -verify suites.
import os
import shutil
import lit.formats

config.name = "deployc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".deploy", ".test"]
config.excludes = ["Inputs", "unit", "CMakeLists.txt", "lsp-client", "conformance", "workspace", "testsvc", "fuzz"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.deployc_obj_root, "test")

config.environment["PATH"] = os.pathsep.join(
    [config.deployc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
# Deterministic, colourless output regardless of the caller's environment.
config.environment.pop("DEPLOYC_STDLIB", None)
config.environment["TERM"] = "dumb"
# Sanitized builds: the tests that cap address space must not (ASan reserves
# terabytes of it), and the sanitizers' options reach every process.
if getattr(config, "deployc_sanitized", False):
    config.environment["DEPLOYC_SANITIZED"] = "1"
    for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if name in os.environ:
            config.environment[name] = os.environ[name]

config.substitutions.append(("%deployc", os.path.join(config.deployc_tools_dir, "deployc")))
config.substitutions.append(("%stdlib", os.path.join(config.deployc_src_root, "stdlib")))
config.substitutions.append(("%examples", os.path.join(config.deployc_src_root, "examples")))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%srcroot", config.deployc_src_root))
config.substitutions.append(("%testsvc", os.path.join(config.deployc_tools_dir, "deployc-testsvc")))
# test/PreCommit drives Debian's pre-commit (scripts/setup.sh installs it).
if shutil.which("pre-commit") and shutil.which("git"):
    config.available_features.add("pre-commit")
