-- Test site for units (SPEC §5a): a city health commission, a county
-- commission under it and its township hospitals, two declared here and
-- the rest read from units.csv, as an office keeps them.  The procedure
-- tells each incident's own unit, its parent and the city by unit role.
-- Fictional people.
site {
  timezone = "Asia/Shanghai",
  rules = {},
  units_strict = false,
}

channel "log" { kind = "log" }
person "zhao" { name = "赵一（市卫健委主任）", phone = "+8613800000001", channels = { "log" } }
person "qian" { name = "钱二（局办公室）", phone = "+8613800000002", channels = { "log" } }
person "zhang" { name = "张三（县卫健委主任）", phone = "+8613800000003", channels = { "log" } }
person "wang" { name = "王四（县卫健委办公室）", phone = "+8613800000004", channels = { "log" } }
person "liu"  { name = "刘五（刘庄乡卫生院院长）", phone = "+8613800000005", channels = { "log" } }
person "sun"  { name = "孙六（刘庄乡卫生院值班）", phone = "+8613800000006", channels = { "log" } }
person "he"   { name = "何七（市分管领导）", phone = "+8613800000007", roles = { "director" }, channels = { "log" } }
group "office" { name = "局应急管理办公室", members = { "qian" } }
group "county-office" { name = "县卫健委办公室", members = { "wang" } }
roster "liuzhuang-duty" { start = "2026-03-02", rotation = { "sun" } }

unit "city-health" { name = "市卫生健康委员会", kind = "commission",
                     roles = { director = "zhao" } }
unit "county-health" { name = "县卫生健康委员会", parent = "city-health",
                       kind = "commission",
                       roles = { principal = "zhang", office = "county-office" } }
units_csv "units.csv"

event_type "first-report" { title = "初次报告" }

policy "up-the-tree" {
  { after = "0m", notify = { "unit.principal" } },
  { after = "30m", notify = { "parent.principal" } },
}

-- 突发公共卫生事件: the unit's own principal and duty, the county
-- office above it, the city above that.
procedure "outbreak" {
  title = "突发公共卫生事件",
  match = { category = "outbreak" },
  on_open = { notify = { "unit.principal", "unit.duty", "parent.office",
                         "parent.parent.director", "office" } },
  obligations = {
    { id = "first-report", title = "初次报告", due = "2h", owner = "unit.principal",
      on_breach = "up-the-tree", met_by = { type = "first-report" } },
  },
}
