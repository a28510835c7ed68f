# Removes example-agent; succeeds when it is already absent.
$ErrorActionPreference = 'Stop'
$root = Join-Path $env:ProgramData 'ExampleAgent'
if (Test-Path $root) { Remove-Item -Recurse -Force -Path $root }
Write-Output 'example-agent uninstalled'
