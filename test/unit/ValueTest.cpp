//===- ValueTest.cpp - Units, formatting and overlays of values -----------===//

#include "deployc/Sema/Value.h"
#include <cmath>
#include <gtest/gtest.h>
#include <limits>

using namespace deployc;
using namespace deployc::sema;

TEST(ValueTest, QuantitiesNormaliseByKind) {
  EXPECT_EQ(parseQuantity("5", "m", QuantityKind::Duration), 300000);
  EXPECT_EQ(parseQuantity("250", "m", QuantityKind::Cpu), 250);
  EXPECT_EQ(parseQuantity("1.5", "Gi", QuantityKind::Memory), 1610612736);
  EXPECT_EQ(parseQuantity("300", "ms", QuantityKind::Duration), 300);
  EXPECT_EQ(parseQuantity("30", "d", QuantityKind::Duration), 2592000000LL);
  EXPECT_EQ(parseQuantity("0.5", "%", QuantityKind::Percent), 500);
  EXPECT_FALSE(parseQuantity("5", "m", QuantityKind::Memory).has_value());
  EXPECT_FALSE(parseQuantity("5", "Mi", QuantityKind::Duration).has_value());
  bool Overflow = false;
  EXPECT_FALSE(parseQuantity("99999999999999", "d", QuantityKind::Duration, &Overflow));
  EXPECT_TRUE(Overflow);
}

// Quantity amounts are read with std::from_chars where it applies; the
// result must be what StringRef::getAsDouble (APFloat) reads.
TEST(ValueTest, QuantityAmountsReadAsAPFloatReadsThem) {
  for (const char *Text : {"0", "1.", ".5", "0.1", "2.675", "1.005", "0.30000000000000004",
                           "123456789012345678901234567890", "9007199254740993",
                           "0.000000000000000000001", "1.2.3", ".", "", "1e3", "1_0"}) {
    double Expected = 0;
    bool Bad = llvm::StringRef(Text).getAsDouble(Expected);
    std::optional<int64_t> Got = parseQuantity(Text, "Ki", QuantityKind::Memory);
    if (Bad || std::round(Expected * 1024) > double(std::numeric_limits<int64_t>::max() / 2)) {
      EXPECT_FALSE(Got) << Text;
      continue;
    }
    ASSERT_TRUE(Got) << Text;
    EXPECT_EQ(*Got, int64_t(std::round(Expected * 1024))) << Text;
  }
}

TEST(ValueTest, UnitKindsExplainAmbiguity) {
  auto Kinds = getUnitKinds("m");
  ASSERT_EQ(Kinds.size(), 2u);
  EXPECT_EQ(Kinds[0], QuantityKind::Duration);
  EXPECT_EQ(Kinds[1], QuantityKind::Cpu);
  EXPECT_TRUE(getUnitKinds("parsecs").empty());
}

TEST(ValueTest, CanonicalFormatting) {
  EXPECT_EQ(formatDuration(300000), "5m");
  EXPECT_EQ(formatDuration(90000), "90s");
  EXPECT_EQ(formatDuration(2592000000LL), "30d");
  EXPECT_EQ(formatDuration(1500), "1500ms");
  EXPECT_EQ(formatCpu(250), "250m");
  EXPECT_EQ(formatCpu(2000), "2");
  EXPECT_EQ(formatMemory(1024LL * 1024 * 1024), "1Gi");
  EXPECT_EQ(formatMemory(512LL * 1024 * 1024), "512Mi");
  EXPECT_EQ(formatMemory(1000), "1k");
  EXPECT_EQ(formatPercent(25), "25%");
  EXPECT_EQ(formatPercent(0.5), "0.5%");
}

TEST(ValueTest, OverlaysMergePlainBlocksAndReplaceTheRest) {
  Value Base = Value::object("", {});
  Value Scaling = Value::object("", {});
  Scaling.setField("replicas", Value::range(Value::integer(2, {}), Value::integer(20, {}), {}));
  Scaling.setField("autoscaler", Value::enumMember("keda", {}));
  Base.setField("scaling", Scaling);
  Base.setField("strategy", Value::object("canary", {}));
  Base.setField("replicas", Value::integer(3, {}));

  Value Layer = Value::object("", {});
  Value LayerScaling = Value::object("", {});
  LayerScaling.setField("replicas", Value::range(Value::integer(1, {}), Value::integer(2, {}), {}));
  Layer.setField("scaling", LayerScaling);
  Layer.setField("strategy", Value::object("rolling", {}));

  Value Copy = Base;
  Base.mergeFrom(Layer);
  EXPECT_EQ(Base.get("scaling").get("replicas").toDisplayString(), "1..2");
  EXPECT_EQ(Base.get("scaling").get("autoscaler").getEnum(), "keda");
  EXPECT_EQ(Base.get("strategy").getTag(), "rolling");
  EXPECT_EQ(Base.get("replicas").getInt(), 3);
  // Copies share payloads until written: the original is untouched.
  EXPECT_EQ(Copy.get("scaling").get("replicas").toDisplayString(), "2..20");
  EXPECT_EQ(Copy.get("strategy").getTag(), "canary");
}

TEST(ValueTest, MutableFieldsUnshareFirst) {
  Value Obj = Value::object("", {});
  Obj.reserveFields(2);
  Obj.setField("port", Value::object("", {}));
  EXPECT_EQ(Obj.getMutableField("ports"), nullptr);
  Value Copy = Obj;
  Value *Port = Obj.getMutableField("port");
  ASSERT_NE(Port, nullptr);
  Port->setField("http", Value::integer(8080, {}));
  Port->setField("metrics", Value::integer(9090, {}));
  EXPECT_EQ(Obj.get("port").get("http").getInt(), 8080);
  EXPECT_EQ(Obj.get("port").getFields().size(), 2u);
  // The copy taken before the change still shares nothing it did not have.
  EXPECT_TRUE(Copy.get("port").getFields().empty());
}

TEST(ValueTest, SecretsNeverDisplayTheirValue) {
  Value S = Value::secret({{"postgres://", nullptr, ""}}, {});
  EXPECT_EQ(S.toDisplayString(), "(sensitive)");
  Value L = Value::list({Value::string("a", {}), S}, {});
  EXPECT_TRUE(L.containsSecret());
  EXPECT_FALSE(Value::string("a", {}).containsSecret());
}
