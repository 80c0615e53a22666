// The booth editor's upload form: a file over the size limit is refused here, next to the
// field, before anything is sent (the server refuses it too, with the same message).
const form = document.querySelector("form.upload-form");
if (form) {
  const input = form.querySelector("input[type=file]");
  const error = form.querySelector("#file-error");
  const limit = Number(form.dataset.maxBytes);
  const check = () => {
    const file = input.files && input.files[0];
    const tooLarge = Boolean(file && limit && file.size > limit);
    error.hidden = !tooLarge && !input.hasAttribute("aria-invalid");
    if (tooLarge) {
      error.textContent = form.dataset.tooLarge;
      input.setAttribute("aria-invalid", "true");
    }
    return !tooLarge;
  };
  input.addEventListener("change", () => {
    input.removeAttribute("aria-invalid");
    error.textContent = "";
    check();
  });
  form.addEventListener("submit", (event) => {
    if (!check()) event.preventDefault();
  });
}
