"""The SQL that bench/loop_load.py runs inside PostgreSQL to generate a year of work orders: a plan
table drawn at random (units, categories, statuses, answer times, surveys, reopenings), the work
orders from it, and their events (INSERT … SELECT, no rows through Python)."""

PLAN_SQL = """
CREATE UNLOGGED TABLE bench_plan AS
WITH draw AS MATERIALIZED (
    SELECT g,
           CASE WHEN random() < :busy_share THEN :busy_day ELSE floor(random() * :days)::int END AS day,
           random() AS r_time, random() AS r_urg, random() AS r_unit, random() AS r_cat, random() AS r_disp,
           random() AS r_disp_delay, random() AS r_resp, random() AS r_resp_delay, random() AS r_reply,
           random() AS r_resolve, random() AS r_res_delay, random() AS r_survey, random() AS r_survey_delay,
           random() AS r_ans1, random() AS r_ans2, random() AS r_close, random() AS r_second, random() AS r_type
    FROM generate_series(1, :orders) AS g
), timed AS MATERIALIZED (
    SELECT d.*,
           CAST(:start AS timestamptz) + d.day * interval '1 day' + interval '7 hours 30 minutes'
               + d.r_time * interval '15 hours' AS created_at,
           u.urgency, u.lim, u.dur,
           1 + floor(power(d.r_unit, 1.6) * :units)::int AS unit_no,
           (CAST(:categories AS text[]))[1 + floor(d.r_cat * cardinality(CAST(:categories AS text[])))::int]
               AS category_code
    FROM draw d
    CROSS JOIN LATERAL (SELECT * FROM (VALUES
        ('2h', interval '30 minutes', interval '2 hours', 0.03),
        ('24h', interval '4 hours', interval '24 hours', 0.23),
        ('7d', interval '24 hours', interval '7 days', 0.70),
        ('15d', interval '24 hours', interval '15 days', 1.01)) AS v(urgency, lim, dur, upto)
        WHERE d.r_urg < v.upto ORDER BY v.upto LIMIT 1) AS u
), first_round AS MATERIALIZED (
    SELECT t.*,
           CASE WHEN t.r_disp < 0.995 THEN t.created_at + t.r_disp_delay * interval '30 minutes' END AS dispatch1_at
    FROM timed t
), responded AS MATERIALIZED (
    SELECT f.*,
           CASE WHEN f.dispatch1_at IS NOT NULL AND f.r_resp < 0.99
                THEN f.dispatch1_at + f.lim * (f.r_resp_delay * f.r_resp_delay * 1.1) END AS resp1_at
    FROM first_round f
), resolved AS MATERIALIZED (
    SELECT r.*,
           CASE WHEN r.resp1_at IS NOT NULL AND r.r_resolve < 0.995
                THEN r.resp1_at + r.dur * (0.05 + r.r_res_delay * 1.1) END AS resolve1_at
    FROM responded r
), surveyed AS MATERIALIZED (
    SELECT s.*,
           CASE WHEN s.resolve1_at IS NOT NULL AND s.r_survey < 0.85
                THEN s.resolve1_at + interval '1 hour' + s.r_survey_delay * interval '47 hours' END AS survey1_at,
           CASE WHEN s.r_ans1 < 0.88 THEN '已解决' ELSE '未解决' END AS answer1,
           CASE WHEN s.r_ans2 < 0.72 THEN '满意' WHEN s.r_ans2 < 0.92 THEN '基本满意' ELSE '不满意' END AS answer2
    FROM resolved s
), cut AS MATERIALIZED (  -- nothing happens after now
    SELECT c.g, c.created_at, c.urgency, c.lim, c.dur, c.unit_no, c.category_code, c.r_reply, c.r_close, c.r_second,
           c.r_type,
           CASE WHEN c.dispatch1_at < now() THEN c.dispatch1_at END AS dispatch1_at,
           CASE WHEN c.resp1_at < now() THEN c.resp1_at END AS resp1_at,
           CASE WHEN c.resolve1_at < now() THEN c.resolve1_at END AS resolve1_at,
           CASE WHEN c.survey1_at + interval '2 minutes' < now() THEN c.survey1_at END AS survey1_at,
           c.answer1, c.answer2
    FROM surveyed c
), reopen AS MATERIALIZED (
    SELECT c.*,
           CASE WHEN c.survey1_at IS NOT NULL AND c.answer1 = '已解决' THEN c.survey1_at + interval '2 minutes' END
               AS survey2_at,
           CASE WHEN c.survey1_at IS NOT NULL AND c.answer1 = '未解决' THEN c.survey1_at
                WHEN c.survey1_at IS NOT NULL AND c.answer2 = '不满意' THEN c.survey1_at + interval '2 minutes' END
               AS reopen_at
    FROM cut c
), second AS MATERIALIZED (
    SELECT o.*,
           CASE WHEN o.reopen_at IS NOT NULL AND o.reopen_at + o.lim * o.r_second < now()
                THEN o.reopen_at + o.lim * o.r_second END AS resp2_at,
           CASE WHEN o.reopen_at IS NOT NULL AND o.reopen_at + o.lim * o.r_second + o.dur * 0.5 * o.r_second < now()
                THEN o.reopen_at + o.lim * o.r_second + o.dur * 0.5 * o.r_second END AS resolve2_at
    FROM reopen o
)
SELECT s.*,
       CASE WHEN s.resolve1_at IS NOT NULL AND s.r_reply < 0.5 THEN s.resp1_at + (s.resolve1_at - s.resp1_at) / 2 END
           AS reply_at,
       CASE WHEN s.resolve1_at IS NOT NULL AND s.survey1_at IS NULL AND s.reopen_at IS NULL AND s.r_close < 0.3
                 AND s.resolve1_at + interval '3 days' < now() THEN s.resolve1_at + interval '3 days' END AS close_at,
       COALESCE(s.reopen_at, s.dispatch1_at) AS dispatched_at
FROM second s
"""

ORDERS_SQL = """
INSERT INTO work_order (id, number, request_type, description, district, street, address, ongoing, contact_phone,
    category_code, category_path, department, urgency, deadline, emergency, status, channel, created_at, updated_at,
    unit_code, dispatched_at, response_due_at, responded_at, result, resolved_at, reopen_count,
    survey_resolved, survey_satisfaction, survey_answered_at)
SELECT p.g, lpad(p.g::text, 11, '0'),
       (ARRAY['complain','report','seek_help','suggest','praise','consult'])[1 + floor(p.r_type * 6)::int],
       '历史工单 ' || p.g, u.district, NULL, NULL, false, '139' || lpad((p.g % 100000000)::text, 8, '0'),
       p.category_code, '[]', NULL, p.urgency,
       COALESCE(p.dispatched_at, p.created_at) + p.dur,
       p.urgency = '2h' AND p.r_type < 0.1,
       CASE WHEN p.close_at IS NOT NULL THEN 'closed'
            WHEN p.reopen_at IS NOT NULL THEN
                 CASE WHEN p.resolve2_at IS NOT NULL THEN 'resolved' WHEN p.resp2_at IS NOT NULL THEN 'in_progress'
                      ELSE 'dispatched' END
            WHEN p.survey2_at IS NOT NULL THEN 'visited'
            WHEN p.resolve1_at IS NOT NULL THEN 'resolved'
            WHEN p.resp1_at IS NOT NULL THEN 'in_progress'
            WHEN p.dispatch1_at IS NOT NULL THEN 'dispatched'
            ELSE 'accepted' END,
       (ARRAY['web','phone','telegram','open311'])[1 + p.g % 4],
       p.created_at,
       GREATEST(p.created_at, p.dispatch1_at, p.resp1_at, p.resolve1_at, p.survey1_at, p.survey2_at, p.resp2_at,
                p.resolve2_at, p.close_at),
       CASE WHEN p.dispatch1_at IS NOT NULL THEN u.code END,
       p.dispatched_at, p.dispatched_at + p.lim,
       CASE WHEN p.reopen_at IS NOT NULL THEN p.resp2_at ELSE p.resp1_at END,
       CASE WHEN p.resolve1_at IS NOT NULL THEN '已处理' END,
       COALESCE(p.resolve2_at, p.resolve1_at),
       CASE WHEN p.reopen_at IS NOT NULL THEN 1 ELSE 0 END,
       CASE WHEN p.survey1_at IS NOT NULL THEN p.answer1 = '已解决' END,
       CASE WHEN p.survey2_at IS NOT NULL THEN p.answer2 END,
       COALESCE(p.survey2_at, p.survey1_at)
FROM bench_plan p JOIN bench_unit u ON u.no = p.unit_no
"""

EVENTS_SQL = """
INSERT INTO work_order_event (work_order_id, kind, from_status, to_status, actor, note, created_at, data)
SELECT p.g, e.kind, e.from_status, e.to_status, e.actor, e.note, e.at, e.data
FROM bench_plan p JOIN bench_unit u ON u.no = p.unit_no
CROSS JOIN LATERAL (VALUES
    ('created', p.created_at, NULL, 'accepted', 'bot', NULL, NULL::json),
    ('dispatch', p.dispatch1_at, 'accepted', 'dispatched', 'system:dispatch', NULL, json_build_object('unit', u.code)),
    ('accept', p.resp1_at, 'dispatched', 'in_progress', 'unit:ops' || u.no, NULL, NULL),
    ('reply', p.reply_at, 'in_progress', 'in_progress', 'unit:ops' || u.no, '已联系，正在处理', NULL),
    ('resolve', p.resolve1_at, 'in_progress', 'resolved', 'unit:ops' || u.no, '已处理', NULL),
    ('survey', p.survey1_at, 'resolved', 'resolved', 'citizen', p.answer1, json_build_object('question', 'resolved')),
    ('survey', p.survey2_at, 'resolved', 'resolved', 'citizen', p.answer2,
     json_build_object('question', 'satisfaction')),
    ('visited', CASE WHEN p.reopen_at IS NULL THEN p.survey2_at END, 'resolved', 'visited', 'citizen', NULL, NULL),
    ('reopened', p.reopen_at, 'resolved', 'dispatched', 'citizen', NULL, NULL),
    ('accept', p.resp2_at, 'dispatched', 'in_progress', 'unit:ops' || u.no, NULL, NULL),
    ('resolve', p.resolve2_at, 'in_progress', 'resolved', 'unit:ops' || u.no, '已再次处理', NULL),
    ('close', p.close_at, 'resolved', 'closed', 'supervisor:bench', '已办结，市民未接回访', NULL)
) AS e(kind, at, from_status, to_status, actor, note, data)
WHERE e.at IS NOT NULL
ORDER BY e.at
"""
