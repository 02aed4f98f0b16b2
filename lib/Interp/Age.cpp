//===- Age.cpp - Encryption to age recipients -----------------------------===//
//
// The age v1 format (https://age-encryption.org/v1): a text header with one
// X25519 stanza per recipient, each wrapping the 16-byte file key, closed by
// an HMAC of the header; then a 16-byte nonce and the payload in 64 KiB
// ChaCha20-Poly1305 chunks whose nonce is a big-endian counter and a
// last-chunk flag.
//
//===----------------------------------------------------------------------===//

#include "deployc/Interp/Age.h"
#include "deployc/Basic/AgeRecipient.h"
#include <array>
#include <cstring>
#include <optional>
#include <sodium.h>

using namespace deployc;
using namespace deployc::interp;

namespace {

using Key = std::array<unsigned char, 32>;

/// HKDF-SHA256 (RFC 5869) with one block of output, all age needs.
Key hkdf(const unsigned char *IKM, size_t IKMLen, const unsigned char *Salt, size_t SaltLen,
         const std::string &Info) {
  // No salt is a hash length of zeros (RFC 5869), the same HMAC key.
  static const unsigned char NoSalt[crypto_auth_hmacsha256_BYTES] = {};
  if (SaltLen == 0) {
    Salt = NoSalt;
    SaltLen = sizeof NoSalt;
  }
  Key PRK, Out;
  crypto_auth_hmacsha256_state S;
  crypto_auth_hmacsha256_init(&S, Salt, SaltLen);
  crypto_auth_hmacsha256_update(&S, IKM, IKMLen);
  crypto_auth_hmacsha256_final(&S, PRK.data());
  crypto_auth_hmacsha256_init(&S, PRK.data(), PRK.size());
  crypto_auth_hmacsha256_update(&S, reinterpret_cast<const unsigned char *>(Info.data()),
                                Info.size());
  const unsigned char One = 1;
  crypto_auth_hmacsha256_update(&S, &One, 1);
  crypto_auth_hmacsha256_final(&S, Out.data());
  sodium_memzero(PRK.data(), PRK.size());
  return Out;
}

std::string base64(const unsigned char *Data, size_t Len) {
  const int Variant = sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
  std::string Out(sodium_base64_encoded_len(Len, Variant), '\0');
  sodium_bin2base64(Out.data(), Out.size(), Data, Len, Variant);
  Out.resize(std::strlen(Out.c_str()));
  return Out;
}

/// Stanza bodies are wrapped at 64 columns, the last line shorter.
std::string wrapped(const std::string &B64) {
  std::string Out;
  for (size_t I = 0; I <= B64.size(); I += 64)
    Out += B64.substr(I, 64) + "\n";
  return Out;
}

} // namespace

std::string interp::armorAge(const std::string &Encrypted) {
  const int Variant = sodium_base64_VARIANT_ORIGINAL;
  std::string B64(sodium_base64_encoded_len(Encrypted.size(), Variant), '\0');
  sodium_bin2base64(B64.data(), B64.size(),
                    reinterpret_cast<const unsigned char *>(Encrypted.data()), Encrypted.size(),
                    Variant);
  B64.resize(std::strlen(B64.c_str()));
  std::string Out = "-----BEGIN AGE ENCRYPTED FILE-----\n";
  for (size_t I = 0; I < B64.size(); I += 64)
    Out += B64.substr(I, 64) + "\n";
  return Out + "-----END AGE ENCRYPTED FILE-----\n";
}

bool interp::isAgeRecipient(const std::string &Recipient) {
  return decodeAgeRecipient(Recipient).has_value();
}

llvm::Expected<std::string> interp::encryptForAge(const std::string &Plaintext,
                                                  const std::vector<std::string> &Recipients) {
  if (sodium_init() < 0)
    return llvm::createStringError(std::errc::io_error, "libsodium could not be initialised");
  if (Recipients.empty())
    return llvm::createStringError(std::errc::invalid_argument, "no age recipient");
  std::array<unsigned char, 16> FileKey;
  randombytes_buf(FileKey.data(), FileKey.size());
  std::string Header = "age-encryption.org/v1\n";
  for (const std::string &R : Recipients) {
    std::optional<std::array<uint8_t, 32>> Recipient = decodeAgeRecipient(R);
    if (!Recipient)
      return llvm::createStringError(std::errc::invalid_argument,
                                     ("`" + R + "` is not an age X25519 recipient (age1...)").c_str());
    Key Ephemeral, Share, Shared;
    randombytes_buf(Ephemeral.data(), Ephemeral.size());
    crypto_scalarmult_base(Share.data(), Ephemeral.data());
    if (crypto_scalarmult(Shared.data(), Ephemeral.data(), Recipient->data()) != 0)
      return llvm::createStringError(std::errc::invalid_argument,
                                     ("`" + R + "` is not a usable X25519 key").c_str());
    unsigned char Salt[64];
    std::memcpy(Salt, Share.data(), 32);
    std::memcpy(Salt + 32, Recipient->data(), 32);
    Key Wrap = hkdf(Shared.data(), Shared.size(), Salt, sizeof Salt, "age-encryption.org/v1/X25519");
    unsigned char Body[16 + crypto_aead_chacha20poly1305_ietf_ABYTES];
    unsigned char Nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {};
    unsigned long long BodyLen;
    crypto_aead_chacha20poly1305_ietf_encrypt(Body, &BodyLen, FileKey.data(), FileKey.size(),
                                              nullptr, 0, nullptr, Nonce, Wrap.data());
    Header += "-> X25519 " + base64(Share.data(), Share.size()) + "\n";
    Header += wrapped(base64(Body, BodyLen));
    sodium_memzero(Ephemeral.data(), Ephemeral.size());
    sodium_memzero(Shared.data(), Shared.size());
    sodium_memzero(Wrap.data(), Wrap.size());
  }
  Header += "---";
  Key MacKey = hkdf(FileKey.data(), FileKey.size(), nullptr, 0, "header");
  unsigned char Mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state S;
  crypto_auth_hmacsha256_init(&S, MacKey.data(), MacKey.size());
  crypto_auth_hmacsha256_update(&S, reinterpret_cast<const unsigned char *>(Header.data()),
                                Header.size());
  crypto_auth_hmacsha256_final(&S, Mac);
  std::string Out = Header + " " + base64(Mac, sizeof Mac) + "\n";

  unsigned char PayloadNonce[16];
  randombytes_buf(PayloadNonce, sizeof PayloadNonce);
  Out.append(reinterpret_cast<const char *>(PayloadNonce), sizeof PayloadNonce);
  Key PayloadKey = hkdf(FileKey.data(), FileKey.size(), PayloadNonce, sizeof PayloadNonce, "payload");
  constexpr size_t Chunk = 64 * 1024;
  size_t Pos = 0;
  uint64_t Counter = 0;
  do {
    size_t Len = std::min(Chunk, Plaintext.size() - Pos);
    bool Last = Pos + Len == Plaintext.size();
    unsigned char Nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {};
    for (int I = 0; I < 8; ++I)
      Nonce[10 - I] = uint8_t(Counter >> (8 * I));
    Nonce[11] = Last ? 1 : 0;
    std::string Sealed(Len + crypto_aead_chacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long SealedLen;
    crypto_aead_chacha20poly1305_ietf_encrypt(
        reinterpret_cast<unsigned char *>(Sealed.data()), &SealedLen,
        reinterpret_cast<const unsigned char *>(Plaintext.data() + Pos), Len, nullptr, 0, nullptr,
        Nonce, PayloadKey.data());
    Out.append(Sealed.data(), SealedLen);
    Pos += Len;
    ++Counter;
  } while (Pos < Plaintext.size());
  sodium_memzero(FileKey.data(), FileKey.size());
  sodium_memzero(PayloadKey.data(), PayloadKey.size());
  sodium_memzero(MacKey.data(), MacKey.size());
  return Out;
}
