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
event_type "articles"          { title = "本季度投稿（attrs.count 篇数）" }
event_type "duty-check"        { title = "随机抽查值守应答" }
