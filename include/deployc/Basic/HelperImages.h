//===- HelperImages.h - The images of deployc's own pods ----------*- C++ -*-===//
//
// Some emitted pods run images the spec never names: the backup jobs (restic,
// and kubectl to snapshot the objects) and blue-green validation checks
// (curl). They are named here once, for the emitter that runs them and for the
// check that holds them to an environment's `allowed_registries`. An
// environment's `helper_registry` (a mirror) is put in front of them.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_BASIC_HELPERIMAGES_H
#define DEPLOYC_BASIC_HELPERIMAGES_H

#include <string>
#include <string_view>

namespace deployc::helper_images {

constexpr const char *Restic = "restic/restic:0.16.4";
constexpr const char *Kubectl = "bitnami/kubectl:1.29.2";
constexpr const char *Curl = "curlimages/curl:8.5.0";

/// Image as pulled through Registry (`registry.example.com/mirror`), or as
/// it is when there is none.
inline std::string pulledFrom(std::string_view Image, std::string_view Registry) {
  while (!Registry.empty() && Registry.back() == '/')
    Registry.remove_suffix(1);
  if (Registry.empty())
    return std::string(Image);
  return std::string(Registry) + "/" + std::string(Image);
}

/// Whether a backup location is an object store, which the emitted restic
/// jobs back up to (local folders are for `deployc backup`).
inline bool isObjectStore(std::string_view Location) {
  for (std::string_view Scheme : {"s3://", "gs://", "azure://"})
    if (Location.substr(0, Scheme.size()) == Scheme)
      return true;
  return false;
}

} // namespace deployc::helper_images

#endif
