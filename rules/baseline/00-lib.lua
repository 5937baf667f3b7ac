-- 国家基线：共用约定 (national baseline: shared conventions).
--
-- Every pack in rules/ builds on this directory.  A site lists it after the
-- holiday calendar and before its own packs, which read the `bl` table
-- defined here while they load:
--
--   rules = { "../holidays", "../baseline", "." }
--
-- Site settings.  A figure that differs between regions or bodies is a
-- `setting` the pack declares, with its default; the site sets it in its
-- settings block, checked at load (a value of the wrong type, or a setting
-- no pack declares, is refused with file:line and the nearest name):
--
--   settings { bl_network_operator = "cii", ce_first_report_due = "1h" }
--
-- A site that assigns the older global table (settings = { ... }) is read
-- the same way, unchecked.
--
-- Event conventions used by every pack (docs/procedures.md):
--   report      首报 (opens the incident; occurred_at = when it happened)
--   update      续报 (progress); final = 终报 / 办结; assessment = 研判、定级
--   forward     the body passed the report on: to = "superior",
--               "safety-authority", "industry-authority" (the sector's
--               supervising department), "health-authority", "government",
--               "state", "network-authority", "police", "110", "119", ...
--   feedback    an answer to the complainant or petitioner
--   review      经验总结、专题报告、总结评估 (after-action report)

bl = {}

-- The site's value of setting key, or default; with allowed, the value
-- must be one of them.
function bl.setting(key, default, allowed)
  return setting(key) { default = default, allowed = allowed }
end

-- A list the site must give (the units that owe a recurring report); {}
-- leaves the report out.  Missing, the load stops with file:line.
function bl.units(key, what)
  return setting(key) { type = "names", title = "the units that owe " .. what }
end

-- Figures for words without a figure.  A seed that says "立即", "迅速" or
-- "第一时间" without a time gets AT_ONCE; one that says "及时" gets PROMPT;
-- 续报 without a time gets FOLLOW_UP.  Each is the national figure named.
bl.AT_ONCE   = "1h"   -- 生产安全事故报告和调查处理条例 第九条: 单位负责人1小时内报告
bl.PROMPT    = "2h"   -- 突发公共卫生事件应急条例 第二十条: 每一级2小时内报告
bl.FOLLOW_UP = "24h"  -- 突发公共卫生事件相关信息报告管理工作规范: 进程报告至少按日
-- 经验总结、专题报告 without a time: 国家网络安全事件应急预案 6.1, 调查处理和
-- 总结评估原则上在应急响应结束后30天内完成 (counted here from the opening).
bl.REVIEW_DUE = "30cd"

-- The grade scale (突发事件应对法: 特别重大、重大、较大、一般四级) and the
-- warning colours (预警级别一级至四级，分别用红色、橙色、黄色和蓝色标示):
-- 红 I, 橙 II, 黄 III, 蓝 IV.
bl.GRADES = { "特别重大", "重大", "较大", "一般" }
bl.WARNING = {
  red = 1, orange = 2, yellow = 3, blue = 4,
  ["红"] = 1, ["橙"] = 2, ["黄"] = 3, ["蓝"] = 4,
  ["红色"] = 1, ["橙色"] = 2, ["黄色"] = 3, ["蓝色"] = 4,
  ["红色预警"] = 1, ["橙色预警"] = 2, ["黄色预警"] = 3, ["蓝色预警"] = 4,
}

-- The grade an event's warning colour (attrs.warning) stands for, or nil.
function bl.grade_from_warning(ev)
  local w = ev.attrs and ev.attrs.warning
  if type(w) ~= "string" then return nil end
  return bl.WARNING[string.lower(w)]
end

-- The event's grade (1..4), or nil when it carries none.
function bl.grade(ev)
  return ev.grade or bl.grade_from_warning(ev)
end

-- A report passed on to `to` (a name or a list of names).
function bl.forwarded(to)
  local set = {}
  for _, t in ipairs(type(to) == "table" and to or { to }) do set[t] = true end
  return function(ev)
    return ev.type == "forward" and ev.attrs ~= nil and set[ev.attrs.to] == true
  end
end

-- 续报: a progress report within FOLLOW_UP of the first report.
function bl.followup(t)
  return { id = "follow-up", title = t.title or "续报：24小时内报送处置进展",
    due = t.due or bl.FOLLOW_UP, met_by = { type = { "update", "final" } },
    owner = t.owner, on_breach = t.on_breach }
end

-- 进程报告 at least daily (a series, SPEC §4 "Obligation lifecycle"):
-- instance 1 due FOLLOW_UP after the incident reached the grade that asks
-- for it (from = "graded": 重大 events report daily from when they are
-- known to be 重大; the opening when reported so), each next one FOLLOW_UP after
-- the one before fell due, each met, late or missed on its own, until the
-- final report, the resolve, or a grade lowered below the one that asked
-- for it.  Put it in the grades that ask for it.
function bl.progress(t)
  return { id = t.id or "progress", title = t.title,
    due = t.due or bl.FOLLOW_UP, every = t.every or bl.FOLLOW_UP,
    from = "graded", met_by = { type = "update" }, ["until"] = { type = "final" },
    owner = t.owner, on_breach = t.on_breach }
end

-- 终报 / 总结: a final or after-action report, counted from the end of the
-- response where the clause says so (t.from = bl.ENDED: the `end` event
-- that declares it, 应急响应终止/确认事件终止), from the opening otherwise.
-- Resolving an incident cancels what is pending: declare the end, file the
-- report, then resolve.
bl.ENDED = { type = "end" }
function bl.final(t)
  return { id = t.id or "final", title = t.title, due = t.due, from = t.from,
    met_by = { type = t.type or "final" }, owner = t.owner,
    on_breach = t.on_breach, remind = t.remind }
end
