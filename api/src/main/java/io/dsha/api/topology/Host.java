package io.dsha.api.topology;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A host name or an IP literal; {@code null} is valid (pair with {@code @NotNull}). */
@Documented
@Constraint(validatedBy = Host.Validator.class)
@Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT, ElementType.TYPE_USE})
@Retention(RetentionPolicy.RUNTIME)
public @interface Host {
    String message() default "must be a host name (RFC 1123) or an IP address";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    /** Checks {@link Hostnames#isHost}. */
    final class Validator implements ConstraintValidator<Host, String> {
        @Override
        public boolean isValid(String value, ConstraintValidatorContext context) {
            return value == null || Hostnames.isHost(value);
        }
    }
}
