//===- AgeTest.cpp - Files encrypted to age recipients ---------------------===//
//
// What encryptForAge writes is decrypted by the real age (Debian's package,
// installed by scripts/setup.sh), for one and several recipients, for an
// empty file and one of several 64 KiB chunks.
//
//===----------------------------------------------------------------------===//

#include "deployc/Interp/Age.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "gtest/gtest.h"
#include <fstream>
#include <sstream>

using namespace deployc;

namespace {

std::string readFile(const std::string &Path) {
  std::ifstream In(Path, std::ios::binary);
  std::stringstream S;
  S << In.rdbuf();
  return S.str();
}

struct Identity {
  std::string File, Recipient;
};

class AgeTest : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::SmallString<128> Dir;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("deployc-age", Dir));
    Folder = std::string(Dir);
    auto Age = llvm::sys::findProgramByName("age");
    auto Keygen = llvm::sys::findProgramByName("age-keygen");
    ASSERT_TRUE(Age && Keygen) << "age is not installed (scripts/setup.sh installs it)";
    AgePath = *Age;
    KeygenPath = *Keygen;
  }
  void TearDown() override { llvm::sys::fs::remove_directories(Folder); }

  Identity newIdentity(const std::string &Name) {
    Identity I{Folder + "/" + Name + ".key", ""};
    int RC = llvm::sys::ExecuteAndWait(KeygenPath, {KeygenPath, "-o", I.File});
    EXPECT_EQ(RC, 0);
    std::istringstream Lines(readFile(I.File));
    for (std::string L; std::getline(Lines, L);)
      if (L.rfind("# public key: ", 0) == 0)
        I.Recipient = L.substr(14);
    return I;
  }

  /// age -d of Encrypted with Id: its output, or nothing when it fails.
  std::optional<std::string> decrypt(const std::string &Encrypted, const Identity &Id) {
    std::string In = Folder + "/in.age", Out = Folder + "/out";
    std::ofstream(In, std::ios::binary) << Encrypted;
    llvm::sys::fs::remove(Out);
    int RC = llvm::sys::ExecuteAndWait(AgePath, {AgePath, "-d", "-i", Id.File, "-o", Out, In});
    if (RC != 0)
      return std::nullopt;
    return readFile(Out);
  }

  std::string Folder, AgePath, KeygenPath;
};

TEST_F(AgeTest, AgeDecryptsForEveryRecipient) {
  Identity Alice = newIdentity("alice"), Bob = newIdentity("bob"), Eve = newIdentity("eve");
  std::string Text = "apiVersion: v1\nkind: Secret\nstringData:\n  password: s3cret\n";
  auto Encrypted = interp::encryptForAge(Text, {Alice.Recipient, Bob.Recipient});
  ASSERT_TRUE(bool(Encrypted)) << llvm::toString(Encrypted.takeError());
  EXPECT_EQ(Encrypted->find("s3cret"), std::string::npos);
  EXPECT_EQ(decrypt(*Encrypted, Alice), Text);
  EXPECT_EQ(decrypt(*Encrypted, Bob), Text);
  EXPECT_EQ(decrypt(*Encrypted, Eve), std::nullopt);
}

TEST_F(AgeTest, ArmoredToo) {
  Identity Alice = newIdentity("alice");
  std::string Text(5000, 'x');
  auto Encrypted = interp::encryptForAge(Text, {Alice.Recipient});
  ASSERT_TRUE(bool(Encrypted));
  std::string Armored = interp::armorAge(*Encrypted);
  EXPECT_EQ(Armored.rfind("-----BEGIN AGE ENCRYPTED FILE-----\n", 0), 0u);
  for (char C : Armored)
    EXPECT_TRUE(C == '\n' || (C >= 0x20 && C < 0x7f));
  EXPECT_EQ(decrypt(Armored, Alice), Text);
}

TEST_F(AgeTest, EmptyAndManyChunks) {
  Identity Alice = newIdentity("alice");
  auto Empty = interp::encryptForAge("", {Alice.Recipient});
  ASSERT_TRUE(bool(Empty));
  EXPECT_EQ(decrypt(*Empty, Alice), std::string());
  std::string Big;
  for (int I = 0; Big.size() < 3 * 65536 + 17; ++I)
    Big += "line " + std::to_string(I) + "\n";
  for (size_t Size : {size_t(65536), size_t(2 * 65536), Big.size()}) {
    auto Encrypted = interp::encryptForAge(Big.substr(0, Size), {Alice.Recipient});
    ASSERT_TRUE(bool(Encrypted));
    EXPECT_EQ(decrypt(*Encrypted, Alice), Big.substr(0, Size)) << Size;
  }
}

TEST_F(AgeTest, RefusesWhatIsNotARecipient) {
  Identity Alice = newIdentity("alice");
  EXPECT_TRUE(interp::isAgeRecipient(Alice.Recipient));
  std::string Flipped = Alice.Recipient;
  Flipped.back() = Flipped.back() == 'q' ? 'p' : 'q';
  for (const std::string &Bad : {std::string("age1"), Flipped, std::string("ssh-ed25519 AAAA"),
                                 "x" + Alice.Recipient.substr(1)}) {
    EXPECT_FALSE(interp::isAgeRecipient(Bad)) << Bad;
    auto E = interp::encryptForAge("x", {Bad});
    EXPECT_FALSE(bool(E)) << Bad;
    llvm::consumeError(E.takeError());
  }
}

} // namespace
