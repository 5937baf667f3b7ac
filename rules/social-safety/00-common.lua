-- 重大社会安全事件与医疗纠纷 (social-safety events and medical disputes):
-- shared figures and policies.
--
-- Source: seed 002, five texts: 第一篇 a town's 关于健全完善重大社会安全事件
-- 应急处置机制的意见 (cited "002-1 三(四)"), 第二篇 a banner's 社会安全事件
-- 应急处置机制建设项目书 ("002-2"), 第三篇 and 第五篇 a village's 应急处置指挥
-- 机制实施方案 ("002-3"), 第四篇 a hospital's 重大医疗纠纷事件应急处置预案
-- ("002-4").
--
-- This pack builds on the national baseline; the site lists it first:
--   rules = { "../holidays", "../baseline", "." }
-- Roles: duty, office, deputy, principal, leadership, superior, responsible,
-- plus police (公安派出所), foreign-affairs (外事部门), emergency-management
-- (县应急管理局), discipline (纪检监察), and for medical disputes
-- department-head (科室主任、护士长), patient-relations (医患关系办公室) and
-- health-authority (卫生健康行政部门; the seed's 卫生厅).  A site that is a
-- town with its health centre maps deputy, principal and superior by
-- category: medical_dispute → 主管院长, 院长, 县卫生健康委.

assert(type(bl) == "table", "social-safety builds on the national " ..
  "baseline: list \"../baseline\" before this pack in the site's rules")

ss = {}

-- 002-1 三(四): 重大社会安全事件发生后，事发地负责人要按规定及时、准确地
-- 向镇党委、政府报告.  The events are 重大 by name; the national figure for
-- 重大 events is 国家突发公共事件总体应急预案 4.2 "最迟不得超过4小时".
-- Site setting ss_first_report_due.
ss.FIRST_REPORT_DUE = bl.setting("ss_first_report_due", "4h")

-- A missed deadline on a social-safety event: the office, the deputy in
-- charge and the duty officer at once, with the head of the village or
-- unit where it happened (事发地负责人, "unit.responsible": that village's,
-- or the site's responsible without units); the principal (镇党委、政府主要
-- 负责人) after an hour; the town's emergency committee after two (002-1
-- 三(一): 镇应急委员会是…领导机构).  The intervals are this pack's choice.
policy "ss-chain" {
  { notify = { "office", "deputy", "duty", "unit.responsible" } },
  { after = "1h", notify = { "principal" } },
  { after = "2h", notify = { "leadership" } },
}

-- A missed deadline counted in days (checks, complaints, accountability):
-- the office, the deputy the next day, the principal after three days.
policy "ss-days" {
  { notify = { "office" } },
  { after = "1d", notify = { "deputy" } },
  { after = "3d", notify = { "principal" } },
}

-- A missed step of a medical dispute (002-4): the department head and the
-- patient-relations office, the deputy in charge (主管院长) the next day, the
-- principal (院长) after three days.  The department head is that of the
-- department the dispute is in ("unit.department-head"), where the site
-- declares its departments as units; the site's department-head otherwise.
policy "ss-md-chain" {
  { notify = { "unit.department-head", "patient-relations" } },
  { after = "1d", notify = { "deputy" } },
  { after = "3d", notify = { "principal" } },
}
