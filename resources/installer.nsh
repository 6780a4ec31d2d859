; Included by electron-builder's NSIS installer (electron-builder.yml: nsis.include).
;
; ONNX Runtime (onnxruntime.dll and its Node binding) needs the Microsoft Visual C++ 2015-2022
; runtime (MSVCP140.dll, VCRUNTIME140.dll, VCRUNTIME140_1.dll), at least 14.40: older copies
; crash inside msvcp140.dll when the model loads. When the PC lacks it, the installer runs
; Microsoft's redistributable, which a release build bundles from
; resources/windows/vc_redist.x64.exe (scripts/fetch-vcredist.mjs downloads it from Microsoft;
; it is not kept in git). A build without that file still works: the installer then says where
; to get the runtime, and the app says it again if the runtime is still missing.

!define HEIRLOOM_VCRT_KEY "SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\x64"
!define HEIRLOOM_VCRT_URL "https://aka.ms/vs/17/release/vc_redist.x64.exe"

!macro customInstall
  ; The redistributable records itself in the 32-bit registry view; the installer runs in the
  ; 64-bit view on 64-bit Windows, so look there, then switch back.
  SetRegView 32
  ReadRegDWORD $R0 HKLM "${HEIRLOOM_VCRT_KEY}" "Installed"
  ReadRegDWORD $R1 HKLM "${HEIRLOOM_VCRT_KEY}" "Minor"
  SetRegView 64
  InitPluginsDir
  ${If} $R0 != 1
  ${OrIf} $R1 < 40
    File /nonfatal "/oname=$PLUGINSDIR\vc_redist.x64.exe" "${BUILD_RESOURCES_DIR}\windows\vc_redist.x64.exe"
    ${If} ${FileExists} "$PLUGINSDIR\vc_redist.x64.exe"
      DetailPrint "Installing the Microsoft Visual C++ runtime..."
      ; Asks for administrator rights itself; 1638 = a newer version is already there, 3010 = restart later.
      ExecWait '"$PLUGINSDIR\vc_redist.x64.exe" /install /passive /norestart' $R2
      ${If} $R2 != 0
      ${AndIf} $R2 != 1638
      ${AndIf} $R2 != 3010
        MessageBox MB_OK|MB_ICONEXCLAMATION "The Microsoft Visual C++ runtime could not be installed (code $R2).$\r$\nHeirloom needs it to restore photos. Install it from$\r$\n${HEIRLOOM_VCRT_URL}$\r$\nand then start Heirloom again."
      ${EndIf}
    ${Else}
      MessageBox MB_OK|MB_ICONINFORMATION "Heirloom needs the Microsoft Visual C++ runtime (2015-2022, x64) to restore photos, and this PC does not have a recent one.$\r$\nInstall it from$\r$\n${HEIRLOOM_VCRT_URL}$\r$\nthen start Heirloom."
    ${EndIf}
  ${EndIf}
!macroend
