//===- StateTest.cpp - Plan diffs, the vault and the audit chain ----------===//

#include "deployc/Interp/OutputWriter.h"
#include "deployc/Interp/StateStore.h"
#include "deployc/Interp/Vault.h"
#include "deployc/Plan/ExecutionPlan.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdlib>
#include <gtest/gtest.h>

using namespace deployc;

namespace {
std::string scratch(const char *Name) {
  llvm::SmallString<128> Dir;
  llvm::sys::fs::createUniqueDirectory(Name, Dir);
  return std::string(Dir);
}
} // namespace

TEST(DiffTest, ResourcesAndFields) {
  const char *Old = R"({"settings": {"tier": "t"}, "services": {"a": {"replicas": 1, "env": {"DB": {"secret": "db.url"}}}, "gone": {"image": "x"}}})";
  const char *New = R"({"settings": {"tier": "t"}, "services": {"a": {"replicas": 3, "env": {"DB": {"secret": "db.host"}}}, "b": {"image": "y"}}})";
  auto Changes = plan::diffConfigurations(Old, New);
  std::map<std::string, const plan::ResourceChange *> By;
  for (const auto &C : Changes)
    By[C.Resource] = &C;
  ASSERT_EQ(By.count("service.a"), 1u);
  EXPECT_EQ(By["environment"]->A, plan::ResourceChange::Keep);
  EXPECT_EQ(By["service.a"]->A, plan::ResourceChange::Change);
  EXPECT_EQ(By["service.b"]->A, plan::ResourceChange::Add);
  EXPECT_EQ(By["service.gone"]->A, plan::ResourceChange::Remove);
  const auto &F = By["service.a"]->Fields;
  ASSERT_EQ(F.size(), 2u);
  EXPECT_EQ(F[0].Path, "replicas");
  EXPECT_EQ(F[0].Old, "1");
  EXPECT_EQ(F[0].New, "3");
  EXPECT_EQ(F[1].Path, "env.DB");
  EXPECT_TRUE(F[1].Sensitive);
}

TEST(DiffTest, NothingAppliedMeansEverythingIsNew) {
  auto Changes = plan::diffConfigurations("", R"({"services": {"a": {"image": "x"}}})");
  ASSERT_EQ(Changes.size(), 1u);
  EXPECT_EQ(Changes[0].A, plan::ResourceChange::Add);
}

TEST(VaultTest, RoundTripRotationAndWrongKey) {
  std::string Dir = scratch("vault-test");
  setenv("DEPLOYC_VAULT_KEY", "correct horse battery staple", 1);
  {
    auto V = interp::Vault::open(Dir + "/vault.db");
    ASSERT_TRUE(bool(V)) << llvm::toString(V.takeError());
    auto V1 = (*V)->addVersion("prod", "db", {{"user", "app"}, {"password", "s3cr3t"}}, "");
    ASSERT_TRUE(bool(V1));
    EXPECT_EQ(*V1, 1);
    auto V2 = (*V)->addVersion("prod", "db", {{"user", "app"}, {"password", "n3w"}},
                               "2099-01-01T00:00:00Z");
    ASSERT_TRUE(bool(V2));
    auto Active = (*V)->get("prod", "db");
    ASSERT_TRUE(bool(Active));
    EXPECT_EQ((*Active)["password"], "n3w");
    auto Old = (*V)->get("prod", "db", 1);
    ASSERT_TRUE(bool(Old));
    EXPECT_EQ((*Old)["password"], "s3cr3t");
    auto Vs = (*V)->versions("prod", "db");
    ASSERT_EQ(Vs.size(), 2u);
    EXPECT_EQ(Vs[0].State, "previous");
    EXPECT_EQ(Vs[1].State, "active");
    EXPECT_EQ((*V)->completeRotations("prod", "2098-01-01T00:00:00Z").size(), 0u);
    EXPECT_EQ((*V)->completeRotations("prod", "2099-06-01T00:00:00Z").size(), 1u);
  }
  setenv("DEPLOYC_VAULT_KEY", "a wrong passphrase", 1);
  auto Wrong = interp::Vault::open(Dir + "/vault.db");
  ASSERT_FALSE(bool(Wrong));
  EXPECT_NE(llvm::toString(Wrong.takeError()).find("the vault key is wrong"), std::string::npos);
  unsetenv("DEPLOYC_VAULT_KEY");
  llvm::sys::fs::remove_directories(Dir);
}

TEST(VaultTest, GeneratedValuesFollowTheCharset) {
  std::string Hex = interp::generateSecretValue(40, "hex");
  EXPECT_EQ(Hex.size(), 40u);
  EXPECT_EQ(Hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(interp::generateSecretValue(32, "alphanumeric"),
            interp::generateSecretValue(32, "alphanumeric"));
}

TEST(StateStoreTest, AuditChainDetectsEdits) {
  std::string Dir = scratch("state-test");
  auto S = interp::StateStore::open(Dir + "/state.db");
  ASSERT_TRUE(bool(S));
  (*S)->audit("alice", "apply", "prod", "revision 1");
  (*S)->audit("bob", "secret.read", "prod", "db");
  std::string Why;
  EXPECT_EQ((*S)->verifyAudit(Why), 0);
  ASSERT_TRUE(bool((*S)->acquireLock("prod", "alice")) == false); // Error::success is falsy.
  auto Held = (*S)->lockHolder("prod");
  ASSERT_TRUE(Held.has_value());
  EXPECT_EQ(Held->Actor, "alice");
  (*S)->releaseLock("prod");
  EXPECT_FALSE((*S)->lockHolder("prod").has_value());
  llvm::sys::fs::remove_directories(Dir);
}

TEST(VaultTest, EmptyAndShortKeysAreUsageErrors) {
  std::string Dir = scratch("vault-key-test");
  for (const char *Key : {"   ", "fifteen chars.."}) {
    setenv("DEPLOYC_VAULT_KEY", Key, 1);
    auto V = interp::Vault::open(Dir + "/sub/vault.db");
    ASSERT_FALSE(bool(V));
    llvm::Error Err = V.takeError();
    EXPECT_EQ(llvm::errorToErrorCode(std::move(Err)), std::errc::invalid_argument);
    EXPECT_FALSE(llvm::sys::fs::exists(Dir + "/sub"));
  }
  unsetenv("DEPLOYC_VAULT_KEY");
  llvm::sys::fs::remove_directories(Dir);
}

TEST(StateStoreTest, RecordingTheRevisionClearsThePendingSwitch) {
  std::string Dir = scratch("pending-test");
  auto S = interp::StateStore::open(Dir + "/state.db");
  ASSERT_TRUE(bool(S));
  interp::PendingSwitch P;
  P.Env = "prod";
  P.Kind = "rollback";
  P.Target = "dir:/srv/prod";
  P.Dir = "/srv/prod";
  P.Staged = "/srv/prod.deployc-tmp-1";
  P.Old = "/srv/prod.deployc-old-1";
  P.Rev.Env = "prod";
  P.Rev.Files = R"({"a.yaml": "x"})";
  P.Rev.RolledBackTo = 3;
  ASSERT_FALSE(bool((*S)->beginPending(P)));
  auto Read = (*S)->pending("prod");
  ASSERT_TRUE(Read.has_value());
  EXPECT_EQ(Read->Staged, P.Staged);
  EXPECT_EQ(Read->Rev.Kind, "rollback");
  EXPECT_EQ(Read->Rev.RolledBackTo, 3);
  EXPECT_FALSE((*S)->pending("dev").has_value());
  interp::Revision R = Read->Rev;
  R.Outcome = "succeeded";
  ASSERT_TRUE(bool((*S)->recordRevision(R)));
  EXPECT_FALSE((*S)->pending("prod").has_value());
  llvm::sys::fs::remove_directories(Dir);
}

TEST(OutputWriterTest, RecoveringASwitchRollsForwardOrBack) {
  std::string Dir = scratch("switch-test");
  auto make = [](const std::string &Path) {
    llvm::sys::fs::create_directories(Path);
    std::error_code EC;
    llvm::raw_fd_ostream(Path + "/f", EC) << Path;
  };
  interp::DirectorySwitch S{Dir + "/out", Dir + "/out.tmp", Dir + "/out.old"};
  // Killed between the renames: the old folder goes back.
  make(S.Old);
  make(S.Staged);
  auto Back = interp::recoverDirectorySwitch(S);
  ASSERT_TRUE(bool(Back));
  EXPECT_FALSE(*Back);
  EXPECT_TRUE(llvm::sys::fs::exists(S.Target + "/f"));
  EXPECT_FALSE(llvm::sys::fs::exists(S.Staged));
  EXPECT_FALSE(llvm::sys::fs::exists(S.Old));
  // Killed before removing the old folder: forward, the old one removed.
  make(S.Old);
  auto Forward = interp::recoverDirectorySwitch(S);
  ASSERT_TRUE(bool(Forward));
  EXPECT_TRUE(*Forward);
  EXPECT_TRUE(llvm::sys::fs::exists(S.Target + "/f"));
  EXPECT_FALSE(llvm::sys::fs::exists(S.Old));
  llvm::sys::fs::remove_directories(Dir);
}
