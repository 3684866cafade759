DROP TABLE monitor_matches;
DROP TABLE monitors;
