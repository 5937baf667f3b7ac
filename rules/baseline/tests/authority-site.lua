-- Test site for the baseline as a body of another level: 某县卫生健康委员会（卫生健康行政部门；县应急管理局同为安全生产监督管理部门）.
site { timezone = "Asia/Shanghai", rules = { "../../holidays", ".." } }

settings {
  bl_production_safety_hop   = "authority",
  bl_production_safety_level = "county",     -- every accident goes up to the city
  bl_public_health_hop       = "authority",
  bl_network_operator        = "cii",
}

channel "log" { kind = "log" }
person "t-duty"      { name = "值班员", phone = "+8613800000191", roles = { "duty" },      channels = { "log" } }
person "t-office"    { name = "办公室", phone = "+8613800000192", roles = { "office", "responsible" }, channels = { "log" } }
person "t-deputy"    { name = "分管领导", phone = "+8613800000193", roles = { "deputy" },  channels = { "log" } }
person "t-principal" { name = "主要负责人", phone = "+8613800000194", roles = { "principal" }, channels = { "log" } }
group "t-superior" { name = "上级", members = {}, channels = { "log" }, roles = { "superior" } }
