"""Run and debug from the designer: the engine bridge and the Data, Executions, Logs, Health and Profiling docks."""
