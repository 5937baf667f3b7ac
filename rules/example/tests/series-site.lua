-- Test site for obligations that repeat (every, until) and obligations
-- that several events meet (met_by all, count): SPEC §4, "Obligation
-- lifecycle".  The procedures below encode seed clauses the way a pack
-- would; they live here so that no pack's timeline changes.  Fictional
-- people.
site {
  timezone = "Asia/Shanghai",
  rules = { "../../holidays" },
}

channel "log" { kind = "log" }
person "zhao" { name = "赵一（值班员）", phone = "+8613800000001", roles = { "duty" }, channels = { "log" } }
person "qian" { name = "钱二（办公室）", phone = "+8613800000002", roles = { "office" }, channels = { "log" } }
person "li"   { name = "李四（局长）", phone = "+8613800000004", roles = { "principal" }, channels = { "log" } }
person "zhou" { name = "周五（责任科室）", phone = "+8613800000005", roles = { "responsible" }, channels = { "log" } }

event_type "update" { title = "续报" }
event_type "final" { title = "终报" }
event_type "notice" { title = "通报" }
event_type "plan" { title = "处置方案" }

policy "progress-late" {
  { notify = { "office" } },
  { after = "2h", notify = { "principal" } },
}

-- 进程报告至少按日 (突发公共卫生事件相关信息报告管理工作规范, the
-- baseline's public-health clause; 003 二(六) 续报处置进展): once the
-- event is 重大 (II) or worse, a progress report every 24 hours until
-- the final report, each day's report chased on its own.
procedure "ph-progress" {
  title = "突发公共卫生事件（进程报告）",
  match = { category = "public_health" },
  grades = {
    [2] = { obligations = {
      { id = "progress", title = "进程报告：至少按日续报",
        due = "24h", every = "24h", met_by = { type = "update" },
        ["until"] = { type = "final" },
        owner = "responsible", on_breach = "progress-late" },
    } },
  },
}

-- A series bounded by time: a 3-day special watch, a report each day.
procedure "watch" {
  title = "三日专项值守",
  match = { category = "watch" },
  obligations = {
    { id = "daily", title = "每日报送值守情况", due = "1cd", every = "1cd",
      ["until"] = "3cd", met_by = { type = "update" }, owner = "duty" },
  },
}

-- 001 三(行管安全): 同时视具体情况报告110公安指挥中心、119消防指挥中心、
-- 120急救中心: all three told, met when the last notice is filed.
-- And an assessment with a handling plan before the office closes the
-- first stage (研判 and 处置方案, both needed).
procedure "facility" {
  title = "办公场所安全事件",
  match = { category = "facility" },
  obligations = {
    { id = "notify-agencies", title = "报告110、119、120", due = "30m",
      met_by = { all = { { type = "notice", to = "police" },
                         { type = "notice", to = "fire" },
                         { type = "notice", to = "ambulance" } } },
      owner = "office" },
    { id = "assess-and-plan", title = "研判并制定处置方案", due = "2h",
      met_by = { all = { "assessment", "plan" } }, owner = "responsible" },
    -- Three progress reports in the first 24 hours (a count).
    { id = "three-updates", title = "24小时内三次续报", due = "24h",
      met_by = { count = 3, type = "update" }, owner = "office" },
  },
}
