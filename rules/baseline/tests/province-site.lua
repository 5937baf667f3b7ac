-- Test site for the baseline as a body of another level: 某省人民政府总值班室（省级政府）.
site { timezone = "Asia/Shanghai", rules = { "../../holidays", ".." } }

settings {
  bl_production_safety_hop   = "authority",
  bl_production_safety_level = "province",   -- 重大 and above go up to the State
  bl_public_health_hop       = "province",
  bl_network_operator        = "central",
}

channel "log" { kind = "log" }
person "t-duty"      { name = "值班员", phone = "+8613800000191", roles = { "duty" },      channels = { "log" } }
person "t-office"    { name = "办公室", phone = "+8613800000192", roles = { "office", "responsible" }, channels = { "log" } }
person "t-deputy"    { name = "分管领导", phone = "+8613800000193", roles = { "deputy" },  channels = { "log" } }
person "t-principal" { name = "主要负责人", phone = "+8613800000194", roles = { "principal" }, channels = { "log" } }
group "t-superior" { name = "上级", members = {}, channels = { "log" }, roles = { "superior" } }
