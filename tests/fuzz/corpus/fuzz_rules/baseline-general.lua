-- 分级与预警 (grades I–IV and warning colours), and the general duty to
-- report 特别重大 and 重大 events upward at once.
--
-- Source: 突发事件应对法 (四级分级; 预警级别红、橙、黄、蓝);
-- 国家突发公共事件总体应急预案 4.2: "特别重大或者重大突发公共事件发生后，
-- 各地区、各部门要立即报告，最迟不得超过4小时".  tocsin tells the superior
-- the moment an incident reaches 重大 — at its opening or when a later
-- event raises it — which is the 立即报告 itself.

procedure "bl-general" {
  title = "突发事件分级（特别重大、重大、较大、一般）与预警颜色",
  match = function(ev) return true end,   -- every incident
  -- 红色预警 I, 橙色 II, 黄色 III, 蓝色 IV (attrs.warning), when the event
  -- carries no grade of its own.
  classify = function(ev) return bl.grade_from_warning(ev) end,
  grades = {
    [1] = { notify = { "superior" } },    -- 特别重大: 立即报告上级
    [2] = { notify = { "superior" } },    -- 重大: 立即报告上级
  },
}

-- Escalation of a missed baseline deadline counted in hours.  The steps'
-- timing is this pack's choice (no statute sets it): the department and the
-- office at once, the deputy in charge after 30 minutes, the principal
-- leader after an hour, hourly thereafter three more times.
policy "bl-standard" {
  { notify = { "responsible", "office" } },
  { after = "30m", notify = { "deputy" } },
  { after = "1h", notify = { "principal" } },
  repeat_every = "1h",
  max_repeats = 3,
}

-- Escalation of a missed deadline counted in days (petitions): the
-- department and the office, then the deputy the next day, the principal
-- after three days.
policy "bl-days" {
  { notify = { "responsible", "office" } },
  { after = "1d", notify = { "deputy" } },
  { after = "3d", notify = { "principal" } },
}
