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

/** A fully qualified domain name such as {@code datastack.example.com}; {@code null} is valid. */
@Documented
@Constraint(validatedBy = Fqdn.Validator.class)
@Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT, ElementType.TYPE_USE})
@Retention(RetentionPolicy.RUNTIME)
public @interface Fqdn {
    String message() default "must be a fully qualified domain name such as datastack.example.com";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    /** Checks {@link Hostnames#isFqdn}. */
    final class Validator implements ConstraintValidator<Fqdn, String> {
        @Override
        public boolean isValid(String value, ConstraintValidatorContext context) {
            return value == null || Hostnames.isFqdn(value);
        }
    }
}
