//===- DevContainer.cpp - devcontainer.json and VS Code tasks -------------===//
//
// One .devcontainer/<name>/devcontainer.json per dev container (Dev Container
// spec), building from the emitted Dockerfile of its build, and the declared
// tasks as .vscode/tasks.json.
//
//===----------------------------------------------------------------------===//

#include "YAMLWriter.h"
#include "deployc/Emit/Emit.h"
#include "llvm/ADT/StringExtras.h"

using namespace deployc;
using namespace deployc::emit;
using namespace deployc::plan;

namespace {

/// `key=value` of a `docker run --mount` or `docker build --secret` option
/// list, which the Docker CLI reads as one CSV record: a value with `,` or `"` is CSV-quoted so that it
/// stays one value (an output folder under `/tmp/a,b` adds no option). Sema
/// (D3017) keeps control characters out.
std::string csvOption(llvm::StringRef Key, llvm::StringRef Value) {
  std::string Field = (Key + "=" + Value).str();
  if (Field.find_first_of(",\"") == std::string::npos)
    return Field;
  std::string Quoted = "\"";
  for (char C : Field)
    Quoted += C == '"' ? std::string("\"\"") : std::string(1, C);
  return Quoted + "\"";
}

} // namespace

std::vector<EmittedFile> emit::emitDevContainers(const Environment &Env,
                                                  const SourceLocation &Src) {
  std::vector<EmittedFile> Out;
  json Tasks = json::array();
  for (const DevContainer &C : Env.DevContainers) {
    json J;
    J["name"] = C.Name;
    const Build *B = Env.findBuild(C.BuildName);
    // Paths in devcontainer.json are relative to its own folder, two below the
    // output folder.
    json BuildJ;
    BuildJ["dockerfile"] = "../../docker/" + dnsName(C.BuildName) + "/Dockerfile";
    BuildJ["context"] = joinPath("../..", joinPath(Src.SpecDirFromOutput, B ? B->Context : "."));
    if (!C.Target.empty())
      BuildJ["target"] = dnsName(C.Target);
    // Secrets the stages up to the target mount at build time must be passed,
    // as docker-bake.json passes them.
    json Options = json::array();
    if (B)
      for (const BuildStage &S : B->Stages) {
        for (const std::vector<RunStep> *Steps : {&S.System, &S.Install, &S.Build})
          for (const RunStep &R : *Steps)
            for (const BuildSecretMount &M : R.Secrets) {
              std::string Env = "DEPLOYC_BUILD_SECRET_" + B->Name + "_" + M.Id;
              for (char &Ch : Env)
                Ch = llvm::isAlnum(Ch) ? llvm::toUpper(Ch) : '_';
              Options.push_back("--secret");
              Options.push_back(csvOption("id", M.Id) + "," + csvOption("env", Env));
            }
        if (S.Name == C.Target)
          break;
      }
    if (!Options.empty())
      BuildJ["options"] = Options;
    J["build"] = BuildJ;
    if (!C.PostCreate.empty())
      J["postCreateCommand"] = llvm::join(C.PostCreate, " && ");
    if (!C.Extensions.empty())
      J["customizations"] = {{"vscode", {{"extensions", C.Extensions}}}};
    if (!C.ForwardPorts.empty())
      J["forwardPorts"] = C.ForwardPorts;
    if (!C.Mounts.empty()) {
      json Mounts = json::array();
      for (const auto &[Target, Source] : C.Mounts) {
        // The workspace folder is the output folder; sources are relative
        // to the spec's folder.
        std::string Path = llvm::StringRef(Source).startswith("/")
                              ? Source
                              : "${localWorkspaceFolder}/" +
                                    joinPath(Src.SpecDirFromOutput, Source);
        Mounts.push_back(csvOption("source", Path) + "," + csvOption("target", Target) +
                         ",type=bind,consistency=cached");
      }
      J["mounts"] = Mounts;
    }
    if (!C.Env.empty()) {
      json Env = json::object();
      for (const auto &[K, V] : C.Env)
        Env[K] = V;
      J["containerEnv"] = Env;
    }
    if (!C.RemoteUser.empty())
      J["remoteUser"] = C.RemoteUser;
    Out.push_back({".devcontainer/" + dnsName(C.Name) + "/devcontainer.json", toJSONText(J)});
    for (const Task &T : C.Tasks) {
      json TJ{{"label", T.Name}, {"type", "shell"}, {"command", T.Command}};
      if (T.Group == "build" || T.Group == "test")
        TJ["group"] = T.Group;
      TJ["problemMatcher"] = json::array();
      Tasks.push_back(TJ);
    }
  }
  if (!Tasks.empty())
    Out.push_back({".vscode/tasks.json", toJSONText({{"version", "2.0.0"}, {"tasks", Tasks}})});
  return Out;
}
