//===- Docker.cpp - Dockerfiles, .dockerignore and buildx bake ------------===//
//
// Each build becomes docker/<build>/Dockerfile with the layer order that keeps
// caches warm: system dependencies, dependency manifests, language dependency
// install (with cache mounts), sources, build steps; the final stage copies
// artifacts from earlier stages, copies config last, runs as a non-root user
// and starts with an exec-form ENTRYPOINT. Build secrets are BuildKit secret
// mounts, never ARG or ENV. Every value goes through the escaping helper of
// the place it is written (docs/emit.md, "Escaping").
//
//===----------------------------------------------------------------------===//

#include "YAMLWriter.h"
#include "deployc/Emit/Emit.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include <cassert>

using namespace deployc;
using namespace deployc::emit;
using namespace deployc::plan;

namespace {

// Escaping, one helper per context. A value reaches the Dockerfile parser,
// then (for most instructions) BuildKit's word lexer, which expands `$VAR` and
// reads quotes and `\`; a line ending in `\` continues on the next one, and a
// `<<WORD` in a shell-form RUN or COPY starts a heredoc. Sema (D3016-D3019)
// keeps newlines out of every value written outside JSON; these helpers keep
// what is left from being read as anything but the value.

/// `"..."` with the three characters the lexer unescapes inside double
/// quotes, `"`, `\` and `$`, escaped (an unescaped `$USD` is a build variable).
std::string doubleQuoted(llvm::StringRef S) {
  std::string Out = "\"";
  for (char C : S) {
    if (C == '"' || C == '\\' || C == '$')
      Out += '\\';
    Out += C;
  }
  return Out + "\"";
}

/// A word the lexer expands (FROM, WORKDIR, USER): as written when every
/// character reads as itself, else double-quoted.
std::string word(llvm::StringRef S) {
  bool Plain = !S.empty() && llvm::all_of(S, [](char C) {
    return llvm::isAlnum(C) || llvm::StringRef("/_.:@+=-").contains(C);
  });
  return Plain ? S.str() : doubleQuoted(S);
}

/// A JSON array of strings, `["a", "b"]`: Dockerfile exec form. CMD,
/// ENTRYPOINT and RUN take the strings as they are; COPY (Expanded) passes
/// each through the word lexer after decoding, so its `\`, `$` and quotes are
/// backslash-escaped first. `<` is written `\u003c`: BuildKit looks for
/// heredocs only outside exec form, but other Dockerfile parsers
/// (dockerfile-ast, which editors use) read a `<<` in one as a heredoc too.
std::string execForm(const std::vector<std::string> &Args, bool Expanded = false) {
  std::string S = "[";
  for (size_t I = 0; I < Args.size(); ++I) {
    std::string Arg;
    for (char C : Args[I]) {
      if (Expanded && llvm::StringRef("\\$\"'").contains(C))
        Arg += '\\';
      Arg += C;
    }
    std::string Quoted = json(Arg).dump();
    std::string Safe;
    for (char C : Quoted)
      Safe += C == '<' ? std::string("\\u003c") : std::string(1, C);
    S += (I ? ", " : "") + Safe;
  }
  return S + "]";
}

/// True when `RUN <Cmd>` reads back as exactly Cmd run by the shell: one
/// line, not empty, not starting like a flag (`--mount=...`), a JSON array or
/// blank (stripped), not ending in `\` (a continuation) or blank, no `<<`
/// (a BuildKit heredoc).
bool isPlainShellLine(llvm::StringRef Cmd) {
  if (Cmd.empty() || llvm::any_of(Cmd, [](char C) {
        return static_cast<unsigned char>(C) < 0x20 || C == 0x7f;
      }))
    return false;
  if (llvm::StringRef("-[ ").contains(Cmd.front()) ||
      llvm::StringRef("\\ ").contains(Cmd.back()))
    return false;
  return !Cmd.contains("<<");
}

/// A RUN command: shell form when that is exact, else the exec form of what
/// shell form means on Linux, `["/bin/sh", "-c", Cmd]`, which carries
/// newlines as JSON escapes and which BuildKit never scans for heredocs
/// (buildah before 1.33, Debian 12's 1.28, has no heredocs at all).
std::string runCommand(const std::string &Cmd) {
  return isPlainShellLine(Cmd) ? Cmd : execForm({"/bin/sh", "-c", Cmd});
}

/// `key=value` of a comma-separated option list (`--mount=`, a bake secret).
/// The list has quoting of its own inside a flag that has quoting too; Sema
/// admits no value that would need it (D3017, D3018).
std::string option(llvm::StringRef Key, llvm::StringRef Value) {
  assert(llvm::none_of(Value, [](char C) {
           return llvm::StringRef(",\"' \\$\n\r\t").contains(C);
         }) && "Sema lets no option separator through");
  return (Key + "=" + Value).str();
}

/// One .dockerignore line: a leading `#` would make the pattern a comment,
/// and `\#` is the pattern matching `#`. Sema (D3019) keeps line breaks out.
std::string ignoreLine(llvm::StringRef Pattern) {
  return (Pattern.startswith("#") ? "\\" : "") + Pattern.str() + "\n";
}

std::string secretEnvName(const std::string &Build, const std::string &Id) {
  std::string S = "DEPLOYC_BUILD_SECRET_" + Build + "_" + Id;
  for (char &C : S)
    C = llvm::isAlnum(C) ? llvm::toUpper(C) : '_';
  return S;
}

std::string runLine(const RunStep &R) {
  std::string Line = "RUN";
  for (const CacheMount &C : R.Caches) {
    Line += " --mount=type=cache," + option("target", C.Target) + "," +
            option("sharing", C.Sharing);
    if (!C.Id.empty())
      Line += "," + option("id", C.Id);
  }
  for (const BuildSecretMount &S : R.Secrets) {
    Line += " --mount=type=secret," + option("id", S.Id);
    if (!S.Env.empty())
      Line += "," + option("env", S.Env);
    else
      Line += "," + option("target", S.Target.empty() ? "/run/secrets/" + S.Id : S.Target);
    Line += ",required=true";
  }
  return Line + " " + runCommand(R.Command) + "\n";
}

/// COPY of one path to the same relative place in the working directory.
std::string copyLine(const std::string &Path) {
  std::string Dest = Path;
  while (llvm::StringRef(Dest).startswith("./"))
    Dest = Dest.substr(2);
  if (Dest.empty() || Dest == ".")
    return "COPY . ./\n";
  return "COPY " + execForm({Path, "./" + Dest}, /*Expanded=*/true) + "\n";
}

} // namespace

std::string emit::renderDockerfile(const Build &B) {
  std::string D = "# syntax=docker/dockerfile:1\n";
  D += "# Generated by deployc from build `" + B.Name + "`. Do not edit.\n";
  for (size_t I = 0; I < B.Stages.size(); ++I) {
    const BuildStage &S = B.Stages[I];
    bool Final = S.Name == B.Target;
    // A stage built on an earlier stage names it as that stage was named.
    bool FromStage = std::any_of(B.Stages.begin(), B.Stages.begin() + I,
                                 [&](const BuildStage &Earlier) { return Earlier.Name == S.From; });
    D += "\nFROM " + word(FromStage ? dnsName(S.From) : S.From) + " AS " + dnsName(S.Name) + "\n";
    if (!S.Workdir.empty())
      D += "WORKDIR " + word(S.Workdir) + "\n";
    // Keys are names (D3018), values have no control characters (D3019).
    for (const auto &[K, V] : S.Env)
      D += "ENV " + K + "=" + doubleQuoted(V) + "\n";
    // Layer order: system deps, language deps, sources, build, artifacts, config.
    for (const RunStep &R : S.System)
      D += runLine(R);
    if (!S.Manifests.empty()) {
      std::vector<std::string> Args = S.Manifests;
      Args.push_back("./");
      D += "COPY " + execForm(Args, /*Expanded=*/true) + "\n";
    }
    for (const RunStep &R : S.Install)
      D += runLine(R);
    for (const std::string &Src : S.Sources)
      D += copyLine(Src);
    for (const RunStep &R : S.Build)
      D += runLine(R);
    for (const auto &[From, Files] : S.CopyFrom)
      for (const auto &[Src, Dst] : Files)
        D += "COPY --from=" + dnsName(From) + " " + execForm({Src, Dst}, /*Expanded=*/true) + "\n";
    for (const std::string &C : S.Config)
      D += copyLine(C);
    for (int P : S.Expose)
      D += "EXPOSE " + std::to_string(P) + "\n";
    if (!S.User.empty())
      D += "USER " + word(S.User) + "\n";
    else if (Final)
      D += "USER 65532:65532\n"; // Never run the runtime image as root.
    if (!S.Entrypoint.empty())
      D += "ENTRYPOINT " + execForm(S.Entrypoint) + "\n";
    if (!S.Cmd.empty())
      D += "CMD " + execForm(S.Cmd) + "\n";
  }
  return D;
}

std::string emit::joinPath(llvm::StringRef A, llvm::StringRef B) {
  std::string Out;
  for (llvm::StringRef Part : {A, B}) {
    llvm::SmallVector<llvm::StringRef, 8> Segs;
    Part.split(Segs, '/', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef S : Segs) {
      if (S == ".")
        continue;
      if (!Out.empty())
        Out += '/';
      Out += S.str();
    }
  }
  return Out.empty() ? "." : Out;
}

std::vector<EmittedFile> emit::emitDocker(const Environment &Env, const SourceLocation &Src) {
  std::vector<EmittedFile> Out;
  if (Env.Builds.empty())
    return Out;
  json Targets = json::object();
  json Group = json::array();
  for (const Build &B : Env.Builds) {
    std::string Dir = "docker/" + dnsName(B.Name);
    Out.push_back({Dir + "/Dockerfile", renderDockerfile(B)});
    if (!B.Ignore.empty()) {
      std::string Ignore;
      for (const std::string &Pattern : B.Ignore)
        Ignore += ignoreLine(Pattern);
      Out.push_back({Dir + "/Dockerfile.dockerignore", Ignore});
    }
    json T;
    // The context is where the sources are; the Dockerfile is named from it.
    T["context"] = joinPath(Src.SpecDirFromOutput, B.Context);
    std::string Back;
    llvm::SmallVector<llvm::StringRef, 8> Segs;
    llvm::StringRef(B.Context).split(Segs, '/', -1, false);
    for (llvm::StringRef S : Segs)
      if (S != ".")
        Back += S == ".." ? "" : "../";
    T["dockerfile"] = joinPath(Back + Src.OutputFromSpecDir, Dir + "/Dockerfile");
    if (!B.Target.empty())
      T["target"] = dnsName(B.Target);
    if (!B.Image.empty())
      T["tags"] = json::array({B.Image});
    if (!B.Platforms.empty())
      T["platforms"] = B.Platforms;
    // Build secrets come from the environment of the build, never the image.
    json Secrets = json::array();
    for (const BuildStage &S : B.Stages)
      for (const std::vector<RunStep> *Steps : {&S.System, &S.Install, &S.Build})
        for (const RunStep &R : *Steps)
          for (const BuildSecretMount &M : R.Secrets)
            Secrets.push_back(option("id", M.Id) + "," +
                              option("env", secretEnvName(B.Name, M.Id)));
    if (!Secrets.empty())
      T["secret"] = Secrets;
    Targets[dnsName(B.Name)] = T;
    Group.push_back(dnsName(B.Name));
  }
  json Bake{{"group", {{"default", {{"targets", Group}}}}}, {"target", Targets}};
  Out.push_back({"docker-bake.json", toJSONText(Bake)});
  return Out;
}
