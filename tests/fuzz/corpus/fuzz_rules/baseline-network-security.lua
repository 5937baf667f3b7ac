-- 网络安全事件报告 (reporting network-security incidents of grade 较大 and
-- above).
-- Source: 网络安全事件报告管理办法 (国家互联网信息办公室, 2025): an operator
-- with a 较大, 重大 or 特别重大 network-security incident reports it within
-- 1 hour if it operates critical information infrastructure (关键信息基础设施
-- 运营者), within 2 hours if it is a central or state body (中央和国家机关各部门
-- 及其管理的单位), within 4 hours otherwise.
-- (The after-action review, 国家网络安全事件应急预案: 原则上在应急响应结束后
-- 30天内完成, is bl.REVIEW_DUE; each pack sets it with its own review.)
--
-- Site setting bl_network_operator: "cii" (1h), "central" (2h) or "other"
-- (4h, the default).
--
-- The duty binds 较大 and above.  The procedure governs every network
-- incident not reported as 一般; an assessment that grades it 一般 lifts the
-- duty (the obligation is then met, not by a report).

local due = ({ cii = "1h", central = "2h", other = "4h" })[
  bl.setting("bl_network_operator", "other", { "cii", "central", "other" })]

local reported = bl.forwarded("network-authority")

procedure "bl-network-security" {
  title = "网络安全事件报告（较大及以上）",
  match = function(ev)
    local g = bl.grade(ev)
    return ev.category == "network_security" and (g == nil or g <= 3)
  end,
  obligations = {
    { id = "to-network-authority",
      title = "较大及以上网络安全事件按时限向网信、公安等部门报告（网络安全事件报告管理办法）",
      due = due, from = "opened",
      met_by = function(ev)
        return reported(ev) or (ev.type == "assessment" and ev.grade == 4)
      end,
      remind = { "30m" },
      owner = "responsible", on_breach = "bl-standard" },
  },
}
