//===- Config.cpp - The evaluated configuration as JSON -------------------===//

#include "deployc/Plan/Config.h"
#include <nlohmann/json.hpp>

using namespace deployc;
using namespace deployc::sema;
using json = nlohmann::ordered_json;

namespace {

json toJSON(const Value &V) {
  switch (V.getKind()) {
  case Value::Kind::Null:
  case Value::Kind::Poison:
    return nullptr;
  case Value::Kind::Bool:
    return V.getBool();
  case Value::Kind::Int:
    return V.getInt();
  case Value::Kind::Float:
    return V.getFloat();
  case Value::Kind::String:
    return V.getString();
  case Value::Kind::Duration:
  case Value::Kind::Cpu:
  case Value::Kind::Memory:
  case Value::Kind::Percent:
  case Value::Kind::Enum:
  case Value::Kind::Ref:
    return V.toDisplayString();
  case Value::Kind::Secret: {
    auto Parts = V.getSecretParts();
    auto name = [](const Value::SecretPart &P) {
      return P.Secret ? P.Secret->Name.Name + "." + P.Component : P.Component;
    };
    if (Parts.size() == 1 && (Parts[0].Secret || !Parts[0].Component.empty()))
      return json{{"secret", name(Parts[0])}};
    std::string Template;
    for (const Value::SecretPart &P : Parts)
      Template += P.Secret || !P.Component.empty() ? "${" + name(P) + "}" : P.Text;
    return json{{"secret_template", Template}};
  }
  case Value::Kind::List: {
    json A = json::array();
    for (const Value &E : V.getElements())
      A.push_back(toJSON(E));
    return A;
  }
  case Value::Kind::Range:
    return json{{"min", toJSON(V.getLow())}, {"max", toJSON(V.getHigh())}};
  case Value::Kind::Object: {
    json O = json::object();
    if (!V.getTag().empty())
      O["kind"] = V.getTag();
    for (const auto &[Name, Child] : V.getFields())
      O[Name] = toJSON(Child);
    return O;
  }
  }
  return nullptr;
}

const char *pluralKey(ast::DeclKind K) {
  switch (K) {
  case ast::DeclKind::Service: return "services";
  case ast::DeclKind::Worker: return "workers";
  case ast::DeclKind::Job: return "jobs";
  case ast::DeclKind::Secret: return "secrets";
  case ast::DeclKind::Build: return "builds";
  case ast::DeclKind::DevContainer: return "devcontainers";
  case ast::DeclKind::Channel: return "channels";
  case ast::DeclKind::Feature: return "features";
  case ast::DeclKind::Tier: return "tiers";
  case ast::DeclKind::ResourceTier: return "resource_tiers";
  case ast::DeclKind::SecretType: return "secret_types";
  default: return nullptr;
  }
}

json environmentJSON(const Program &P, const EnvironmentModel &M) {
  json J;
  J["environment"] = M.Name;
  J["tier"] = M.TierDecl ? json(M.TierDecl->Name.Name) : json(nullptr);
  json Params = json::object();
  for (const auto &[Name, V] : M.Params)
    Params[Name] = toJSON(V);
  J["params"] = Params;
  json Env = toJSON(M.Env);
  Env.erase("name");
  J["settings"] = Env;
  // Definitions come from the stdlib too; list those the spec uses.
  for (const EvaluatedDecl &E : M.Decls) {
    const char *Key = pluralKey(E.Decl->Kind);
    if (!Key)
      continue;
    const ast::Module *Mod = P.getModule(E.Decl);
    bool FromStdlib = Mod && Mod->IsStdlib;
    if (FromStdlib && E.Decl != M.TierDecl && !P.UseCounts.lookup(E.Decl))
      continue;
    json V = toJSON(E.Val);
    // A component's default is a secret value: say it exists, never show it.
    if (E.Decl->Kind == ast::DeclKind::SecretType && V.contains("component"))
      for (auto &[Name, C] : V["component"].items())
        if (C.contains("default"))
          C["default"] = "(sensitive)";
    J[Key][E.Decl->Name.Name] = V;
  }
  return J;
}

} // namespace

std::string plan::evaluatedConfigJSON(const Program &P, const EnvironmentModel &M) {
  return environmentJSON(P, M).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string plan::renderEvaluatedJSON(const Program &P, llvm::StringRef Only) {
  json Out;
  if (!Only.empty()) {
    for (const EnvironmentModel &M : P.Environments)
      if (M.Name == Only)
        Out = environmentJSON(P, M);
  } else {
    json Envs = json::object();
    for (const EnvironmentModel &M : P.Environments)
      Envs[M.Name] = environmentJSON(P, M);
    Out["environments"] = Envs;
  }
  return Out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}
