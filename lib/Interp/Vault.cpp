//===- Vault.cpp - The embedded secret vault (libsodium) ------------------===//

#include "deployc/Interp/Vault.h"
#include "deployc/Interp/StateStore.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>

using namespace deployc;
using namespace deployc::interp;

namespace {

llvm::Error vaultError(const std::string &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
}

const char *VaultSchema = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS versions(
  env TEXT NOT NULL, secret TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL,
  created_at TEXT NOT NULL, dual_until TEXT NOT NULL, archived_at TEXT NOT NULL,
  PRIMARY KEY(env, secret, version));
CREATE TABLE IF NOT EXISTS vals(
  env TEXT NOT NULL, secret TEXT NOT NULL, version INTEGER NOT NULL, component TEXT NOT NULL,
  sealed BLOB NOT NULL, PRIMARY KEY(env, secret, version, component));
)sql";

constexpr const char *KeyCheck = "deployc vault key check";

std::string blob(sqlite3_stmt *S, int I) {
  const void *P = sqlite3_column_blob(S, I);
  return P ? std::string(static_cast<const char *>(P), sqlite3_column_bytes(S, I)) : "";
}

} // namespace

std::string interp::generateSecretValue(int Length, const std::string &Charset) {
  if (sodium_init() < 0)
    return "";
  Length = std::max(Length, 1);
  std::string Alphabet;
  if (Charset == "hex")
    Alphabet = "0123456789abcdef";
  else if (Charset == "base64")
    Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  else if (Charset == "ascii_printable")
    for (char C = '!'; C <= '~'; ++C)
      if (C != '"' && C != '\'' && C != '\\' && C != '`')
        Alphabet += C;
  if (Alphabet.empty())
    Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string Out;
  for (int I = 0; I < Length; ++I)
    Out += Alphabet[randombytes_uniform(Alphabet.size())];
  return Out;
}

llvm::Expected<std::unique_ptr<Vault>> Vault::open(const std::string &Path,
                                                   const std::string &KeyFile) {
  if (sodium_init() < 0)
    return vaultError("libsodium failed to initialise");
  llvm::SmallString<256> Dir(llvm::sys::path::parent_path(Path));
  llvm::SmallString<256> DefaultKeyFile(Dir);
  llvm::sys::path::append(DefaultKeyFile, "vault.key");
  // The key is read and checked before anything is opened: a refused key
  // leaves no file behind.
  auto Material = readKeyMaterial(KeyFile.empty() ? std::string(DefaultKeyFile) : KeyFile);
  if (!Material)
    return Material.takeError();
  if (!Dir.empty())
    llvm::sys::fs::create_directories(Dir);
  std::unique_ptr<Vault> V(new Vault(Path));
  llvm::Error Opened = V->openDatabase();
  if (!Opened)
    Opened = V->loadKey(*Material);
  sodium_memzero(Material->data(), Material->size());
  if (Opened)
    return std::move(Opened);
  return std::move(V);
}

llvm::Error Vault::openDatabase() {
  if (sqlite3_open(Path.c_str(), &DB) != SQLITE_OK)
    return vaultError("cannot open the vault " + Path);
  sqlite3_busy_timeout(DB, 5000);
  return execSQL(DB, VaultSchema);
}

Vault::~Vault() {
  sodium_memzero(Key, sizeof(Key));
  sqlite3_close(DB);
}

llvm::Expected<std::string> Vault::readKeyMaterial(const std::string &KeyFile) {
  std::string Material;
  std::string From;
  if (auto Env = llvm::sys::Process::GetEnv("DEPLOYC_VAULT_KEY"); Env && !Env->empty()) {
    Material = *Env;
    From = "DEPLOYC_VAULT_KEY";
  } else {
    struct stat St;
    if (::stat(KeyFile.c_str(), &St) != 0)
      return vaultError("no vault key: set DEPLOYC_VAULT_KEY (64 hex digits or a passphrase) "
                        "or create " + KeyFile + " with mode 0600");
    if ((St.st_mode & 077) != 0)
      return vaultError("the vault key file " + KeyFile + " is readable by others (mode " +
                        llvm::utostr(St.st_mode & 0777, false) +
                        "); run `chmod 600 " + KeyFile + "`");
    auto Buf = llvm::MemoryBuffer::getFile(KeyFile);
    if (!Buf)
      return vaultError("cannot read the vault key file " + KeyFile);
    Material = llvm::StringRef((*Buf)->getBuffer()).trim().str();
    From = "the vault key file " + KeyFile;
  }
  bool HexKey = Material.size() == 64 && llvm::all_of(Material, llvm::isHexDigit);
  size_t Length = Material.size();
  bool Blank = llvm::StringRef(Material).trim().empty();
  if (Blank || (!HexKey && Length < MinPassphraseLength)) {
    sodium_memzero(Material.data(), Material.size());
    return llvm::createStringError(
        std::errc::invalid_argument,
        "the vault key in %s is %s: give 64 hex digits, or a passphrase of at least %zu "
        "characters",
        From.c_str(), Blank ? "empty" : "too short", MinPassphraseLength);
  }
  return Material;
}

/// One value of the vault's meta table ("" when it is not there).
static std::string metaValue(sqlite3 *DB, const char *Key) {
  std::string Out;
  sqlite3_stmt *S = nullptr;
  sqlite3_prepare_v2(DB, "SELECT value FROM meta WHERE key = ?", -1, &S, nullptr);
  sqlite3_bind_text(S, 1, Key, -1, SQLITE_STATIC);
  if (S && sqlite3_step(S) == SQLITE_ROW)
    Out = blob(S, 0);
  sqlite3_finalize(S);
  return Out;
}

static llvm::Error setMetaValue(sqlite3 *DB, const char *Key, const std::string &Value) {
  sqlite3_stmt *S = nullptr;
  sqlite3_prepare_v2(DB, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", -1, &S,
                     nullptr);
  sqlite3_bind_text(S, 1, Key, -1, SQLITE_STATIC);
  sqlite3_bind_blob(S, 2, Value.data(), Value.size(), SQLITE_TRANSIENT);
  int RC = S ? sqlite3_step(S) : SQLITE_ERROR;
  sqlite3_finalize(S);
  if (RC != SQLITE_DONE)
    return vaultError("writing the vault failed: " + std::string(sqlite3_errmsg(DB)));
  return llvm::Error::success();
}

llvm::Error Vault::loadKey(const std::string &Material) {
  // Nothing is written before the key is known to be right: a vault that
  // already has a key check is only read until the check opens; a new vault
  // gets its salt and check in one transaction.
  std::string Check = metaValue(DB, "check");
  std::string Salt = metaValue(DB, "salt");
  bool New = Check.empty();
  auto wrongKey = [&] {
    return vaultError("the vault key is wrong: it does not open " + Path +
                      " (check DEPLOYC_VAULT_KEY or the key file)");
  };
  if (Material.size() == 64 && llvm::all_of(Material, llvm::isHexDigit)) {
    std::string Bytes = llvm::fromHex(Material);
    std::memcpy(Key, Bytes.data(), sizeof(Key));
    sodium_memzero(Bytes.data(), Bytes.size());
  } else {
    // A passphrase: Argon2id with this vault's salt (made with the vault). An
    // existing vault without a salt was made with a 64-hex-digit key.
    bool NewSalt = Salt.size() != crypto_pwhash_SALTBYTES;
    if (NewSalt && !New)
      return wrongKey();
    if (NewSalt) {
      Salt.resize(crypto_pwhash_SALTBYTES);
      randombytes_buf(Salt.data(), Salt.size());
    }
    if (crypto_pwhash(Key, sizeof(Key), Material.data(), Material.size(),
                      reinterpret_cast<const unsigned char *>(Salt.data()),
                      crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
      return vaultError("deriving the vault key from the passphrase failed (out of memory?)");
    if (New) {
      if (auto E = execSQL(DB, "BEGIN IMMEDIATE"))
        return E;
      if (auto E = setMetaValue(DB, "salt", Salt)) {
        (void)execSQL(DB, "ROLLBACK");
        return E;
      }
    }
  }
  if (New) {
    // The key check tells a wrong key from a damaged vault later.
    bool InTransaction = !sqlite3_get_autocommit(DB);
    if (!InTransaction)
      if (auto E = execSQL(DB, "BEGIN IMMEDIATE"))
        return E;
    if (auto E = setMetaValue(DB, "check", encrypt("check", KeyCheck))) {
      (void)execSQL(DB, "ROLLBACK");
      return E;
    }
    return execSQL(DB, "COMMIT");
  }
  auto Plain = decrypt("check", Check);
  if (!Plain || *Plain != KeyCheck) {
    if (!Plain)
      llvm::consumeError(Plain.takeError());
    return wrongKey();
  }
  return llvm::Error::success();
}

std::string Vault::encrypt(const std::string &Slot, const std::string &Plain) {
  std::string Out(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, '\0');
  randombytes_buf(Out.data(), Out.size());
  std::string Cipher(Plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long Len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char *>(Cipher.data()), &Len,
      reinterpret_cast<const unsigned char *>(Plain.data()), Plain.size(),
      reinterpret_cast<const unsigned char *>(Slot.data()), Slot.size(), nullptr,
      reinterpret_cast<const unsigned char *>(Out.data()), Key);
  Cipher.resize(Len);
  return Out + Cipher;
}

llvm::Expected<std::string> Vault::decrypt(const std::string &Slot, const std::string &Sealed) {
  size_t NB = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (Sealed.size() < NB + crypto_aead_xchacha20poly1305_ietf_ABYTES)
    return vaultError("a value of " + Slot + " is truncated: the vault was modified or damaged");
  std::string Plain(Sealed.size() - NB, '\0');
  unsigned long long Len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char *>(Plain.data()), &Len, nullptr,
          reinterpret_cast<const unsigned char *>(Sealed.data() + NB), Sealed.size() - NB,
          reinterpret_cast<const unsigned char *>(Slot.data()), Slot.size(),
          reinterpret_cast<const unsigned char *>(Sealed.data()), Key) != 0)
    return vaultError("a value of " + Slot +
                      " failed authentication: the vault was modified or damaged, "
                      "or the key is not the one it was written with");
  Plain.resize(Len);
  return Plain;
}

static std::string slotOf(const std::string &Env, const std::string &Secret, int64_t Version,
                          const std::string &Component) {
  return Env + "/" + Secret + "/v" + std::to_string(Version) + "/" + Component;
}

llvm::Expected<int64_t> Vault::addVersion(const std::string &Env, const std::string &Secret,
                                          const std::map<std::string, std::string> &Values,
                                          const std::string &DualUntil) {
  if (auto E = execSQL(DB, "BEGIN IMMEDIATE"))
    return std::move(E);
  int64_t Next = 1;
  {
    sqlite3_stmt *S;
    sqlite3_prepare_v2(DB, "SELECT MAX(version) FROM versions WHERE env = ? AND secret = ?", -1,
                       &S, nullptr);
    sqlite3_bind_text(S, 1, Env.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(S, 2, Secret.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(S) == SQLITE_ROW)
      Next = sqlite3_column_int64(S, 0) + 1;
    sqlite3_finalize(S);
  }
  std::string Now = nowISO8601();
  {
    // The active version steps back: valid until DualUntil, or archived now.
    sqlite3_stmt *S;
    sqlite3_prepare_v2(DB,
                       "UPDATE versions SET state = ?, dual_until = ?, archived_at = ? "
                       "WHERE env = ? AND secret = ? AND state = 'active'",
                       -1, &S, nullptr);
    sqlite3_bind_text(S, 1, DualUntil.empty() ? "archived" : "previous", -1, SQLITE_STATIC);
    sqlite3_bind_text(S, 2, DualUntil.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(S, 3, DualUntil.empty() ? Now.c_str() : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(S, 4, Env.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(S, 5, Secret.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(S);
    sqlite3_finalize(S);
  }
  {
    sqlite3_stmt *S;
    sqlite3_prepare_v2(DB,
                       "INSERT INTO versions(env, secret, version, state, created_at, dual_until, "
                       "archived_at) VALUES(?,?,?,'active',?,'','')",
                       -1, &S, nullptr);
    sqlite3_bind_text(S, 1, Env.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(S, 2, Secret.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(S, 3, Next);
    sqlite3_bind_text(S, 4, Now.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(S);
    sqlite3_finalize(S);
  }
  for (const auto &[Component, Value] : Values) {
    std::string Sealed = encrypt(slotOf(Env, Secret, Next, Component), Value);
    sqlite3_stmt *S;
    sqlite3_prepare_v2(DB,
                       "INSERT INTO vals(env, secret, version, component, sealed) VALUES(?,?,?,?,?)",
                       -1, &S, nullptr);
    sqlite3_bind_text(S, 1, Env.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(S, 2, Secret.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(S, 3, Next);
    sqlite3_bind_text(S, 4, Component.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(S, 5, Sealed.data(), Sealed.size(), SQLITE_TRANSIENT);
    int RC = sqlite3_step(S);
    sqlite3_finalize(S);
    if (RC != SQLITE_DONE) {
      (void)execSQL(DB, "ROLLBACK");
      return vaultError("writing the vault failed");
    }
  }
  if (auto E = execSQL(DB, "COMMIT"))
    return std::move(E);
  return Next;
}

llvm::Error Vault::setComponents(const std::string &Env, const std::string &Secret,
                                 const std::map<std::string, std::string> &Values) {
  std::vector<SecretVersion> Vs = versions(Env, Secret);
  int64_t Active = 0;
  for (const SecretVersion &V : Vs)
    if (V.State == "active")
      Active = V.Version;
  if (!Active)
    return vaultError("internal: no active version of " + Secret);
  if (auto E = execSQL(DB, "BEGIN IMMEDIATE"))
    return E;
  for (const auto &[Component, Value] : Values) {
    std::string Sealed = encrypt(slotOf(Env, Secret, Active, Component), Value);
    sqlite3_stmt *S;
    sqlite3_prepare_v2(DB,
                       "INSERT OR REPLACE INTO vals(env, secret, version, component, sealed) "
                       "VALUES(?,?,?,?,?)",
                       -1, &S, nullptr);
    sqlite3_bind_text(S, 1, Env.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(S, 2, Secret.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(S, 3, Active);
    sqlite3_bind_text(S, 4, Component.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(S, 5, Sealed.data(), Sealed.size(), SQLITE_TRANSIENT);
    sqlite3_step(S);
    sqlite3_finalize(S);
  }
  return execSQL(DB, "COMMIT");
}

llvm::Expected<std::map<std::string, std::string>>
Vault::get(const std::string &Env, const std::string &Secret, int64_t Version) {
  if (!Version)
    for (const SecretVersion &V : versions(Env, Secret))
      if (V.State == "active")
        Version = V.Version;
  if (!Version)
    return vaultError("secret `" + Secret + "` has no value in environment `" + Env +
                      "` yet; `deployc apply` generates it, or set it with "
                      "`deployc secrets set`");
  std::map<std::string, std::string> Out;
  sqlite3_stmt *S;
  sqlite3_prepare_v2(DB,
                     "SELECT component, sealed FROM vals WHERE env = ? AND secret = ? AND "
                     "version = ? ORDER BY component",
                     -1, &S, nullptr);
  sqlite3_bind_text(S, 1, Env.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(S, 2, Secret.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(S, 3, Version);
  std::vector<std::pair<std::string, std::string>> Rows;
  while (sqlite3_step(S) == SQLITE_ROW)
    Rows.push_back({reinterpret_cast<const char *>(sqlite3_column_text(S, 0)), blob(S, 1)});
  sqlite3_finalize(S);
  for (auto &[Component, Sealed] : Rows) {
    auto Plain = decrypt(slotOf(Env, Secret, Version, Component), Sealed);
    if (!Plain)
      return Plain.takeError();
    Out[Component] = std::move(*Plain);
  }
  return Out;
}

std::vector<SecretVersion> Vault::versions(const std::string &Env, const std::string &Secret) {
  std::vector<SecretVersion> Out;
  sqlite3_stmt *S;
  sqlite3_prepare_v2(DB,
                     "SELECT version, state, created_at, dual_until, archived_at FROM versions "
                     "WHERE env = ? AND secret = ? ORDER BY version",
                     -1, &S, nullptr);
  sqlite3_bind_text(S, 1, Env.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(S, 2, Secret.c_str(), -1, SQLITE_TRANSIENT);
  while (sqlite3_step(S) == SQLITE_ROW)
    Out.push_back({sqlite3_column_int64(S, 0),
                   reinterpret_cast<const char *>(sqlite3_column_text(S, 1)),
                   reinterpret_cast<const char *>(sqlite3_column_text(S, 2)),
                   reinterpret_cast<const char *>(sqlite3_column_text(S, 3)),
                   reinterpret_cast<const char *>(sqlite3_column_text(S, 4))});
  sqlite3_finalize(S);
  return Out;
}

std::vector<std::string> Vault::secrets(const std::string &Env) {
  std::vector<std::string> Out;
  sqlite3_stmt *S;
  sqlite3_prepare_v2(DB, "SELECT DISTINCT secret FROM versions WHERE env = ? ORDER BY secret",
                     -1, &S, nullptr);
  sqlite3_bind_text(S, 1, Env.c_str(), -1, SQLITE_TRANSIENT);
  while (sqlite3_step(S) == SQLITE_ROW)
    Out.push_back(reinterpret_cast<const char *>(sqlite3_column_text(S, 0)));
  sqlite3_finalize(S);
  return Out;
}

std::vector<std::pair<std::string, int64_t>> Vault::completeRotations(const std::string &Env,
                                                                      const std::string &Now) {
  std::vector<std::pair<std::string, int64_t>> Done;
  int64_t NowS = parseISO8601(Now);
  for (const std::string &Secret : secrets(Env))
    for (const SecretVersion &V : versions(Env, Secret))
      if (V.State == "previous" && parseISO8601(V.DualUntil) <= NowS) {
        sqlite3_stmt *S;
        sqlite3_prepare_v2(DB,
                           "UPDATE versions SET state = 'archived', archived_at = ? WHERE env = ? "
                           "AND secret = ? AND version = ?",
                           -1, &S, nullptr);
        sqlite3_bind_text(S, 1, Now.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(S, 2, Env.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(S, 3, Secret.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(S, 4, V.Version);
        sqlite3_step(S);
        sqlite3_finalize(S);
        Done.push_back({Secret, V.Version});
      }
  return Done;
}

llvm::Error Vault::backupTo(const std::string &Dest) { return backupDatabase(DB, Dest); }
