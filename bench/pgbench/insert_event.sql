\set session random(1, :sessions)
INSERT INTO events (session_id, kind, hits) VALUES (:session, 'insert', 0);
