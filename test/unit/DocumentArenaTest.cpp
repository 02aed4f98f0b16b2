//===- DocumentArenaTest.cpp - Memory for emitted documents ---------------===//
#include "../../lib/Emit/DocumentArena.h"
#include "../../lib/Emit/YAMLWriter.h"
#include "gtest/gtest.h"

using namespace deployc;
using namespace deployc::emit;

namespace {

json deploymentLike(int I) {
  json Doc{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}};
  Doc["metadata"] = {{"name", "service-number-" + std::to_string(I)},
                     {"labels", {{"app.kubernetes.io/name", "service-number-" + std::to_string(I)}}}};
  json Ports = json::array();
  for (int P = 0; P < 4; ++P)
    Ports.push_back({{"name", "port-" + std::to_string(P)}, {"containerPort", 8000 + P}});
  Doc["spec"]["template"]["spec"]["containers"] = json::array({{{"ports", std::move(Ports)}}});
  return Doc;
}

TEST(DocumentArenaTest, RewindsOnlyWhenEveryNodeIsBack) {
  DocumentArena Arena;
  if (!DocumentArena::isEnabled())
    GTEST_SKIP() << "sanitizer builds allocate documents from the heap";
  std::string First;
  {
    json Doc = deploymentLike(1);
    EXPECT_GT(Arena.getLiveBytes(), 0u);
    EXPECT_FALSE(Arena.rewindIfUnused());
    First = toYAML(Doc);
  }
  EXPECT_EQ(Arena.getLiveBytes(), 0u);
  EXPECT_TRUE(Arena.rewindIfUnused());
  // The same memory again gives the same document.
  EXPECT_EQ(toYAML(deploymentLike(1)), First);
  EXPECT_EQ(Arena.getNumSlabs(), 1u);
}

TEST(DocumentArenaTest, DocumentsFromTheHeapMayDieInsideAnArena) {
  json Before = deploymentLike(2);
  std::string Expected = toYAML(Before);
  DocumentArena Arena;
  json Inside = deploymentLike(3);
  // Mixed trees: arena nodes hold heap nodes and the other way round.
  Inside["spec"]["old"] = std::move(Before["spec"]);
  Before["spec"] = deploymentLike(4)["spec"];
  Before = json();
  Inside = json();
  EXPECT_EQ(Arena.getLiveBytes(), 0u);
  EXPECT_TRUE(Arena.rewindIfUnused());
  EXPECT_EQ(toYAML(deploymentLike(2)), Expected);
}

TEST(DocumentArenaTest, AVeryLargeFileSpillsToTheHeap) {
  DocumentArena Arena;
  std::vector<json> Docs;
  for (int I = 0; I < 20000; ++I)
    Docs.push_back(deploymentLike(I));
  json Huge = json::array();
  for (int I = 0; I < 100000; ++I)
    Huge.push_back(I);
  EXPECT_LE(Arena.getNumSlabs(), 16u);
  EXPECT_EQ(Docs[19999]["metadata"]["name"], "service-number-19999");
  Docs.clear();
  Huge = json();
  EXPECT_EQ(Arena.getLiveBytes(), 0u);
  EXPECT_TRUE(Arena.rewindIfUnused());
  // The next, ordinary file does not hold on to what this one needed.
  EXPECT_LE(Arena.getNumSlabs(), 2u);
}

} // namespace
