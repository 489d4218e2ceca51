from django import forms


class BackofficeModelForm(forms.ModelForm):
    """A model form that knows the acting user, so choices can be scoped to what
    that user may see (a swapped id in a POST is then an invalid choice)."""

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)


class NoEchoTextInput(forms.TextInput):
    """A text input that never renders a value: personal data is typed in, never
    shown back, not even after a validation error."""

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        return None

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


# Codes Django uses when a submitted value is not among a field's choices. The
# screens never offer out-of-scope choices, so such a value is a tampered (or
# stale) POST, e.g. another cooperative's id swapped in.
OUT_OF_SCOPE_ERROR_CODES = frozenset({"invalid_choice", "invalid_pk_value"})


def fields_with_out_of_scope_choices(form) -> list[str]:
    return [
        name
        for name, errors in form.errors.as_data().items()
        if any(error.code in OUT_OF_SCOPE_ERROR_CODES for error in errors)
    ]
