//===- LowerTest.cpp - Lowering an environment ----------------------------===//

#include "deployc/Emit/Emit.h"
#include "deployc/Plan/Plan.h"
#include "deployc/Sema/Sema.h"
#include "gtest/gtest.h"
#include <fstream>
#include <sstream>

using namespace deployc;

namespace {

std::string readFile(const std::string &Path) {
  std::ifstream In(Path);
  std::stringstream S;
  S << In.rdbuf();
  return S.str();
}

bool isWorkload(ast::DeclKind K) {
  return K == ast::DeclKind::Service || K == ast::DeclKind::Worker ||
         K == ast::DeclKind::Job;
}

TEST(LowerTest, ConsumingLoweringGivesTheSamePlanAndFreesWorkloadValues) {
  SourceManager SM;
  DiagnosticEngine Diags(SM);
  std::string Dir = std::string(DEPLOYC_SOURCE_DIR) + "/examples/shop/";
  FileID F = SM.addBuffer(Dir + "shop.deploy", readFile(Dir + "shop.deploy"));
  sema::FrontEndOptions Opts;
  Opts.StdlibPath = DEPLOYC_STDLIB_DIR;
  Opts.Keeps = sema::FrontEndOptions::Keep::Values;
  auto Prog = sema::runFrontEnd(SM, Diags, {F}, Opts);
  ASSERT_TRUE(Prog);
  ASSERT_FALSE(Diags.hasErrors());
  ASSERT_GE(Prog->Environments.size(), 2u);
  for (sema::EnvironmentModel &M : Prog->Environments) {
    std::string Kept = emit::emitKubernetesStream(plan::lowerEnvironment(*Prog, M), Diags);
    plan::Environment Env = plan::lowerEnvironment(*Prog, std::move(M));
    EXPECT_EQ(emit::emitKubernetesStream(Env, Diags), Kept) << M.Name;
    EXPECT_FALSE(Env.Workloads.empty());
    unsigned Workloads = 0, Others = 0;
    for (const sema::EvaluatedDecl &D : M.Decls) {
      if (isWorkload(D.Decl->Kind)) {
        ++Workloads;
        EXPECT_TRUE(D.Val.isNull()) << D.Decl->Name.Name;
      } else if (!D.Val.isNull()) {
        ++Others;
      }
    }
    EXPECT_EQ(Workloads, Env.Workloads.size());
    // Secrets, tiers and the rest stay for whoever reads them next.
    EXPECT_GT(Others, 0u);
  }
}

} // namespace
