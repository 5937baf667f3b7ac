-- Periodic filings of the townships and departments (004), on the
-- calendar rules of docs/rules.md ("Calendar rules").  The units that owe
-- them are the duty rooms' (settings.ce_duty_rooms: 各乡镇和政府相关职能
-- 部门); each files with the county's emergency office, which is told of
-- a filing not made by the day.
-- 004 七、加大督查考核力度 1: 建立健全突发事件应对工作评估和趋势分析制度。
--   每年12月31日前，各乡镇和政府相关职能部门要做好本年度突发事件工作评估和下
--   年度突发事件趋势分析工作。  Due on 12-31; when it is a day off, on the
--   working day before ("前": the year's last day cannot slip into the
--   next year).
-- 004 (五)加大救援队伍建设及物资储备: 应急救援队伍变动情况每半年报市应急办备案.  No day
--   given: by the last working day of each half-year.
-- 004 六、卫生应急社会动员工作: 各单位每季度向县卫计委应急科邮箱投稿至少2篇.
--   No day given: by the last working day of each quarter (site setting
--   ce_articles_on), met by the unit's record of what it sent (an event of
--   type "articles", attrs.count the number of articles); a record of fewer
--   than ce_articles_min (2) does not meet it.  A recurring report is met by
--   one event, so the count is the record's, not the number of events.

local rooms = bl.units("ce_duty_rooms", "the daily duty roll call")
local at = setting "ce_periodic_at" { default = "17:00", type = "time",
  title = "the hour periodic filings are due" }

if #rooms > 0 then
recurring "ce-annual-assessment" {
  title = "年度突发事件工作评估和下年度趋势分析（004 七、加大督查考核力度 1）",
  every = "year", on = "12-31", shift = "previous-working-day", at = at,
  units = rooms,
  met_by = { type = "annual-assessment" },
  owner = "office",
}

recurring "ce-team-changes" {
  title = "应急救援队伍变动情况备案（每半年）（004 (五)）",
  every = "half-year", on = "last-wd", at = at,
  units = rooms,
  met_by = { type = "team-changes" },
  owner = "office",
}
end

-- 004 开展应急预案演练: 应急核心部门及重点设施农业乡镇全年至少组织1次综合性
--   应急演练.  Owed by each duty room by the year's end (as 七 1: the working
--   day before when 12-31 is off), met by its record of the drill (type
--   "drill").
-- 004 二 7: 年内组织县级卫生应急队伍开展不少于2次卫生应急技能培训和不少于1次
--   综合演练.  Owed by the units a site names as its county health
--   emergency team (setting ce_health_team_units, none by default: the
--   example county has no such unit), met by one record of the year
--   (type "team-training") with attrs.trainings >= 2 and attrs.drills >= 1.
local team = setting "ce_health_team_units" { default = {}, type = "names",
  title = "the county health emergency team's units (004 二 7)" }

if #rooms > 0 then
recurring "ce-annual-drill" {
  title = "全年至少组织1次综合性应急演练（004 开展应急预案演练）",
  every = "year", on = "12-31", shift = "previous-working-day", at = at,
  units = rooms,
  met_by = { type = "drill" },
  owner = "office",
}
end

if #team > 0 then
recurring "ce-health-team-training" {
  title = "县级卫生应急队伍年内不少于2次技能培训、1次综合演练（004 二 7）",
  every = "year", on = "12-31", shift = "previous-working-day", at = at,
  units = team,
  met_by = function(ev)
    local a = ev.attrs or {}
    return ev.type == "team-training" and (tonumber(a.trainings) or 0) >= 2
      and (tonumber(a.drills) or 0) >= 1
  end,
  owner = "office",
}
end

local articles_min = setting "ce_articles_min" { default = 2,
  type = "integer", title = "articles each unit sends each quarter" }

if #rooms > 0 then
recurring "ce-quarterly-articles" {
  title = "每季度向县卫计委应急科投稿至少2篇（004 六）",
  every = "quarter", at = at,
  on = setting "ce_articles_on" { default = "last-wd",
    title = "the day of the quarter the articles are due by" },
  units = rooms,
  met_by = function(ev)
    return ev.type == "articles" and
      (tonumber(ev.attrs and ev.attrs.count) or 0) >= articles_min
  end,
  owner = "office",
}
end

event_type "annual-assessment" { title = "年度评估和趋势分析" }
event_type "team-changes"      { title = "应急救援队伍变动情况备案" }
event_type "drill"             { title = "本年度综合性应急演练记录" }
event_type "team-training"     { title = "卫生应急队伍年度培训演练记录（attrs.trainings、attrs.drills）" }
event_type "articles"          { title = "本季度投稿（attrs.count 篇数）" }
event_type "duty-check"        { title = "随机抽查值守应答" }
