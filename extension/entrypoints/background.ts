// Background entrypoint. Sign-in refresh and the directory sync are wired here by the Extension issue (#4).
export default defineBackground(() => {});
