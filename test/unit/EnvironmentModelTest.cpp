//===- EnvironmentModelTest.cpp - An environment's evaluated declarations -===//

#include "deployc/Sema/Program.h"
#include <gtest/gtest.h>

using namespace deployc;

namespace {

ast::BlockDecl makeService(const char *Name) {
  return ast::BlockDecl({}, ast::Ident{"service", {}}, ast::DeclKind::Service,
                        ast::Ident{Name, {}}, {}, nullptr);
}

// Validation and lowering look declarations up per workload; find() must
// answer as the scan in program order it replaced did: the first value.
TEST(EnvironmentModelTest, FindGivesEachDeclarationsFirstValueUntilDropped) {
  ast::BlockDecl A = makeService("a"), B = makeService("b"), Absent = makeService("c");
  sema::EnvironmentModel M;
  M.addDecl(&A, sema::Value::string("first", {}));
  M.addDecl(&B, sema::Value::string("b", {}));
  M.addDecl(&A, sema::Value::string("second", {}));
  ASSERT_EQ(M.Decls.size(), 3u);
  ASSERT_NE(M.find(&A), nullptr);
  EXPECT_EQ(M.find(&A)->getString(), "first");
  EXPECT_EQ(M.find(&B)->getString(), "b");
  EXPECT_EQ(M.find(&Absent), nullptr);
  M.dropValues();
  EXPECT_TRUE(M.Decls.empty());
  EXPECT_EQ(M.find(&A), nullptr);
}

} // namespace
