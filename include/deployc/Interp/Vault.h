//===- Vault.h - The embedded secret vault (libsodium) ------------*- C++ -*-===//
//
// Secret values, encrypted at rest with XChaCha20-Poly1305 (a fresh random
// nonce per value; the slot `env/secret/version/component` is the associated
// data, so a value moved to another slot fails to decrypt). The key is
// DEPLOYC_VAULT_KEY (64 hex digits, or a passphrase of at least
// MinPassphraseLength characters stretched with Argon2id and the vault's salt)
// or a key file that must be mode 0600. A wrong key or a tampered value is an
// error, never garbage, and a wrong key writes nothing. Values never leave
// this class except through get(), whose callers check access first.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_INTERP_VAULT_H
#define DEPLOYC_INTERP_VAULT_H

#include "llvm/Support/Error.h"
#include <map>
#include <memory>
#include <string>
#include <vector>

struct sqlite3;

namespace deployc::interp {

struct SecretVersion {
  int64_t Version = 0;
  std::string State;      ///< active, previous (dual-write), archived
  std::string CreatedAt;
  std::string DualUntil;  ///< While previous: when it stops being valid.
  std::string ArchivedAt;
};

class Vault {
public:
  /// The shortest passphrase accepted as a vault key.
  static constexpr size_t MinPassphraseLength = 16;

  /// Opens (creating if needed) the vault at Path with the key from the
  /// environment or KeyFile (default: vault.key beside the vault). An empty or
  /// too short key is refused with std::errc::invalid_argument (a usage
  /// error) before any file is opened; a wrong key modifies nothing.
  static llvm::Expected<std::unique_ptr<Vault>> open(const std::string &Path,
                                                     const std::string &KeyFile = "");
  ~Vault();

  /// Stores a new version with the given component values; it becomes
  /// active and the previously active one enters the dual-write period
  /// (until DualUntil; archived at once when DualUntil is empty).
  llvm::Expected<int64_t> addVersion(const std::string &Env, const std::string &Secret,
                                     const std::map<std::string, std::string> &Values,
                                     const std::string &DualUntil);
  /// Replaces components of the active version in place (`secrets set`).
  llvm::Error setComponents(const std::string &Env, const std::string &Secret,
                            const std::map<std::string, std::string> &Values);
  /// The values of a version (the active one when Version is 0).
  llvm::Expected<std::map<std::string, std::string>> get(const std::string &Env,
                                                         const std::string &Secret,
                                                         int64_t Version = 0);
  std::vector<SecretVersion> versions(const std::string &Env, const std::string &Secret);
  std::vector<std::string> secrets(const std::string &Env);
  /// Archives previous versions whose dual-write period ended before Now.
  std::vector<std::pair<std::string, int64_t>> completeRotations(const std::string &Env,
                                                                 const std::string &Now);
  llvm::Error backupTo(const std::string &Dest);

private:
  explicit Vault(std::string Path) : Path(std::move(Path)) {}
  /// The key text of DEPLOYC_VAULT_KEY or KeyFile, refused when empty or short.
  static llvm::Expected<std::string> readKeyMaterial(const std::string &KeyFile);
  llvm::Error openDatabase();
  llvm::Error loadKey(const std::string &Material);
  std::string encrypt(const std::string &Slot, const std::string &Plain);
  llvm::Expected<std::string> decrypt(const std::string &Slot, const std::string &Sealed);

  std::string Path;
  sqlite3 *DB = nullptr;
  unsigned char Key[32];
};

/// Generates a value with a CSPRNG: Length characters of Charset
/// (alphanumeric, ascii_printable, hex, base64).
std::string generateSecretValue(int Length, const std::string &Charset);

} // namespace deployc::interp

#endif
