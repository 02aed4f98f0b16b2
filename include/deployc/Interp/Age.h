//===- Age.h - Encryption to age recipients -----------------------*- C++ -*-===//
//
// Files encrypted to X25519 recipients (`age1...`) in the age format
// (age-encryption.org/v1), which `age -d` and SOPS-free tooling decrypt. Built
// on libsodium: X25519, HKDF over HMAC-SHA256, ChaCha20-Poly1305 in age's
// STREAM construction. Each encryption draws a new file key and nonce, so the
// output differs every time.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_INTERP_AGE_H
#define DEPLOYC_INTERP_AGE_H

#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace deployc::interp {

/// Plaintext encrypted to every recipient; an error names a recipient that is
/// not an X25519 age public key.
llvm::Expected<std::string> encryptForAge(const std::string &Plaintext,
                                          const std::vector<std::string> &Recipients);

/// An age file in age's ASCII armor (PEM-style, `age -d` reads it as is), for
/// places that hold text only, such as the files a revision records.
std::string armorAge(const std::string &Encrypted);

/// Whether Recipient is an age X25519 public key (`age1` + bech32 of 32 bytes).
bool isAgeRecipient(const std::string &Recipient);

} // namespace deployc::interp

#endif
