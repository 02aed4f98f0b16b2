//===- TypeTest.cpp - Assignability and interning of types ----------------===//

#include "deployc/Sema/Schema.h"
#include "deployc/Sema/Type.h"
#include <gtest/gtest.h>

using namespace deployc;
using namespace deployc::sema;

static const Type *T(TypeKind K) { return Type::get(K); }

TEST(TypeTest, TypesAreInterned) {
  EXPECT_EQ(Type::listOf(T(TypeKind::String)), Type::listOf(T(TypeKind::String)));
  EXPECT_EQ(Type::declRef({ast::DeclKind::Service}), Type::declRef({ast::DeclKind::Service}));
  EXPECT_NE(Type::declRef({ast::DeclKind::Service}), Type::declRef({ast::DeclKind::Job}));
}

TEST(TypeTest, SecretsFlowOnlyWhereAllowed) {
  EXPECT_TRUE(isAssignable(T(TypeKind::Secret), T(TypeKind::SecretString)));
  EXPECT_TRUE(isAssignable(T(TypeKind::String), T(TypeKind::SecretString)));
  EXPECT_FALSE(isAssignable(T(TypeKind::Secret), T(TypeKind::String)));
  EXPECT_FALSE(isAssignable(Type::listOf(T(TypeKind::Secret)),
                            Type::listOf(T(TypeKind::String))));
  EXPECT_TRUE(containsSecret(Type::listOf(T(TypeKind::Secret))));
}

TEST(TypeTest, ImplicitConversions) {
  EXPECT_TRUE(isAssignable(T(TypeKind::Int), T(TypeKind::Cpu)));
  EXPECT_TRUE(isAssignable(T(TypeKind::Float), T(TypeKind::Cpu)));
  EXPECT_FALSE(isAssignable(T(TypeKind::Int), T(TypeKind::Memory)));
  EXPECT_FALSE(isAssignable(T(TypeKind::Duration), T(TypeKind::Memory)));
  EXPECT_TRUE(isAssignable(T(TypeKind::Percent), T(TypeKind::IntOrPercent)));
  // A single value where a list or range is expected.
  EXPECT_TRUE(isAssignable(T(TypeKind::String), Type::listOf(T(TypeKind::String))));
  EXPECT_TRUE(isAssignable(T(TypeKind::Int), Type::rangeOf(T(TypeKind::Int))));
  // Errors never cascade.
  EXPECT_TRUE(isAssignable(T(TypeKind::Error), T(TypeKind::Memory)));
}

TEST(TypeTest, DeclReferencesAcceptSubsetsOfKinds) {
  const Type *Workloads = Type::declRef(
      {ast::DeclKind::Service, ast::DeclKind::Worker, ast::DeclKind::Job});
  EXPECT_TRUE(isAssignable(Type::declRef({ast::DeclKind::Worker}), Workloads));
  EXPECT_FALSE(isAssignable(Type::declRef({ast::DeclKind::Secret}), Workloads));
  EXPECT_EQ(Workloads->describe(), "a reference to a service, worker pool or job");
}

TEST(TypeTest, SchemaKnowsEveryDeclarationKind) {
  for (unsigned K = 0; K < unsigned(ast::DeclKind::Unknown); ++K)
    EXPECT_NE(getDeclSchema(ast::DeclKind(K)), nullptr) << K;
  const BlockSchema *Service = getDeclSchema(ast::DeclKind::Service);
  ASSERT_NE(Service->findField("health"), nullptr);
  EXPECT_TRUE(Service->AllowsOverlays);
  EXPECT_NE(lookupBuiltin("http_get"), nullptr);
  EXPECT_EQ(getBuiltinSignature(*lookupBuiltin("http_get")), "http_get(path: string, port: port)");
}
