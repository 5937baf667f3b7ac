-- Test site for the baseline as a body of another level: 某市应急管理局（设区的市级安全生产监督管理部门）.
site { timezone = "Asia/Shanghai", rules = { "../../holidays", ".." } }

settings {
  bl_production_safety_hop   = "authority",
  bl_production_safety_level = "city",       -- 较大 and above go up to the province
  bl_public_health_hop       = "none",
  bl_network_operator        = "other",
}

channel "log" { kind = "log" }
person "t-duty"      { name = "值班员", phone = "+8613800000191", roles = { "duty" },      channels = { "log" } }
person "t-office"    { name = "办公室", phone = "+8613800000192", roles = { "office", "responsible" }, channels = { "log" } }
person "t-deputy"    { name = "分管领导", phone = "+8613800000193", roles = { "deputy" },  channels = { "log" } }
person "t-principal" { name = "主要负责人", phone = "+8613800000194", roles = { "principal" }, channels = { "log" } }
group "t-superior" { name = "上级", members = {}, channels = { "log" }, roles = { "superior" } }
