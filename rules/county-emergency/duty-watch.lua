-- 值守应急 (the duty watch).
-- 004 规范值守应急工作 1: 抓好《县人民政府办公室关于进一步加强值守应急和突发
--   事件信息报送工作的通知》的落实…强化节假日和特防期值守工作，随机抽查值守情况.
-- 004 全面加强应急管理机制建设: 各乡镇场、街道…切实承担值守应急、信息汇总、综合
--   协调、指导督促职责.
-- 004 健全常备不懈的应急机制 一: 建立…日常值守制度…确保24小时通信的畅通…设立
--   专门的应急值班室和值班专线电话，实行人员24小时值班.
--
-- The everyday form of the watch is a roll call: every township and
-- department duty room (settings.ce_duty_rooms) confirms it is manned (an event of type "duty", no incident) each day by
-- 09:00, after the 08:30 handover (site setting ce_duty_check_at).  Not
-- confirmed by then: the duty officer of the unit above calls it (the 抽查)
-- and the room's own emergency office hears; the office above after 30
-- minutes; not by midnight: missed.  The roll call runs every day,
-- holidays included (节假日值守).
--
-- 随机抽查值守情况 is a spot check besides it: on the first working day of
-- each week the county's duty room calls ce_spotcheck_pick of the rooms
-- (default 2), drawn at random, and each answers by 10:00 (an event of
-- type "duty-check"); unanswered, the same escalation as the roll call.
-- The draw is seeded (by the site file's name), so a simulation draws the
-- same rooms as the daemon.

local rooms = bl.units("ce_duty_rooms", "the daily duty roll call")

if #rooms > 0 then
recurring "ce-duty-check" {
  title = "值守在岗核查（每日在岗确认）（004 规范值守应急工作 1）",
  at = bl.setting("ce_duty_check_at", "09:00"), close = "24:00",
  units = rooms,
  met_by = { type = "duty" },
  owner = "duty",
  on_breach = "ce-duty-missing",
}
end

if #rooms > 0 then
spotcheck "ce-duty-spotcheck" {
  title = "随机抽查值守情况（004 规范值守应急工作 1）",
  every = "week", on = "1wd", at = "10:00", close = "12:00",
  pick = math.min(#rooms, setting "ce_spotcheck_pick" { default = 2,
    type = "integer", title = "how many duty rooms a spot check calls" }),
  from = rooms,
  met_by = { type = "duty-check" },
  owner = "duty",
  on_breach = "ce-duty-missing",
}
end

-- 强化节假日和特防期值守工作: in a special period (a period tagged
-- "heightened": the baseline's 春节 and 国庆, the site's own such as the
-- 两会) every duty room answers an evening roll call as well (an event of
-- type "rollcall"), by 21:00 (site setting ce_heightened_rollcall_at; the
-- seed names no hour: the hour the night watch begins is this pack's
-- choice), reminded 30 minutes before; on other days there is none.
if #rooms > 0 then
recurring "ce-heightened-rollcall" {
  title = "特防期值守点名（004 规范值守应急工作 1）",
  every = "day", during = "heightened", close = "24:00",
  at = setting "ce_heightened_rollcall_at" { default = "21:00",
    type = "time", title = "the hour of the special periods' roll call" },
  remind = { "30m" },
  units = rooms,
  met_by = { type = "rollcall" },
  owner = "duty",
  on_breach = "ce-duty-missing",
}
end

policy "ce-duty-missing" {
  { notify = { "parent.duty", "unit.office" } },
  { after = "30m", notify = { "parent.office" } },
}
