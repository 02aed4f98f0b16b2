//===- Helm.h - Helm charts from emitted manifests ----------------*- C++ -*-===//
//
// `emit --format=helm` turns an environment's manifests into a chart whose
// values are the spec's string parameters. The manifests are rendered with
// each templatable parameter set to a marker (a name no spec value holds);
// here the markers become `.Values` references, with the text around them
// kept, and every `{{` already in the manifests (External Secrets templates)
// is escaped so that Helm prints it as is.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_EMIT_HELM_H
#define DEPLOYC_EMIT_HELM_H

#include <optional>
#include <string>
#include <vector>

namespace deployc::emit {

/// A parameter that becomes a chart value: Marker stands for it in the
/// rendered manifests.
struct HelmValue {
  std::string Name, Marker, Default;
};

/// The marker standing for parameter number Index: lower-case letters and
/// digits only, so that it survives Kubernetes name normalisation unchanged.
std::string helmMarker(unsigned Index, unsigned Variant);

/// Manifests (a YAML stream) as a Helm template: existing `{{`/`}}` escaped,
/// each marker replaced by its value, quoted as the scalar it is part of
/// requires. Nothing when a marker sits where a value cannot go (a key).
std::optional<std::string> helmTemplate(const std::string &Manifests,
                                        const std::vector<HelmValue> &Values);

/// Chart.yaml for chart Name (a Kubernetes name).
std::string helmChartFile(const std::string &Name, const std::string &Description);

/// values.yaml: each value with its default, and the parameters that are not
/// values (Fixed: name and why) as comments.
std::string helmValuesFile(const std::vector<HelmValue> &Values,
                           const std::vector<std::pair<std::string, std::string>> &Fixed);

} // namespace deployc::emit

#endif
