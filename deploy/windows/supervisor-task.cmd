@echo off
rem Started by Task Scheduler at logon (see deploy\README.md). Runs from the install folder, so relative
rem paths in the config resolve there, and appends the console output to var\supervisor-console.log.
rem Stop it gracefully with Ctrl+C in its window; "schtasks /End" kills it without a graceful stop.
cd /d "%~dp0..\.."
if not exist var mkdir var
node dist\cli\main.js start --config config\supervisor.yaml >> var\supervisor-console.log 2>&1
