\set id random(1, :sessions)
SELECT status, started_at FROM sessions WHERE id = :id;
